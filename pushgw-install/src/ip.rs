//! The `--private-ip` argument: the VM's private IPv4 address, which becomes part of the
//! gateway's external URL (`http://127.0.0.1/<ip>/pushgateway/`) behind the spring-board proxy.
//!
//! The Pushgateway accepts any string in that URL (spec/installer.md §4.5), so the installer
//! validates the address itself, strictly: four decimal octets, nothing around them.

use std::net::Ipv4Addr;

/// Why a `--private-ip` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpError {
    /// Not four decimal octets (`10.0.0.256`, `10.0.0`, ` 10.0.0.5`, `010.0.0.5`, IPv6, a name).
    #[error("{0:?} is not an IPv4 address (four decimal numbers 0-255 separated by dots)")]
    Syntax(String),
    /// A well-formed address that cannot be the VM's own private address.
    #[error("{addr} is reserved ({kind}), not the VM's private address")]
    Reserved {
        /// The address as given.
        addr: Ipv4Addr,
        /// What kind of address it is: `loopback`, `unspecified`, ...
        kind: &'static str,
    },
}

/// A validated private IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivateIp {
    /// The address.
    pub addr: Ipv4Addr,
    /// Whether it is in an RFC 1918 range; other unicast addresses (e.g. carrier-grade NAT
    /// `100.64.0.0/10`, which some clouds use) are accepted with a warning.
    pub rfc1918: bool,
}

/// Parses and checks a `--private-ip` value.
pub fn parse(text: &str) -> Result<PrivateIp, IpError> {
    // std's parser is strict already: no spaces, no leading zeros, no short forms.
    let addr: Ipv4Addr = text.parse().map_err(|_| IpError::Syntax(text.to_owned()))?;
    let kind = if addr.is_loopback() {
        Some("loopback")
    } else if addr.is_unspecified() {
        Some("unspecified")
    } else if addr.is_broadcast() {
        Some("broadcast")
    } else if addr.is_multicast() {
        Some("multicast")
    } else if addr.is_link_local() {
        Some("link-local")
    } else if addr.is_documentation() {
        Some("documentation")
    } else {
        None
    };
    match kind {
        Some(kind) => Err(IpError::Reserved { addr, kind }),
        None => Ok(PrivateIp {
            addr,
            rfc1918: addr.is_private(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn table() {
        let cases = [
            ("10.0.0.5", "ok rfc1918"),
            ("172.16.3.4", "ok rfc1918"),
            ("192.168.1.20", "ok rfc1918"),
            ("100.64.1.2", "ok public"),
            (
                "10.0.0.256",
                "\"10.0.0.256\" is not an IPv4 address (four decimal numbers 0-255 separated by dots)",
            ),
            (
                "10.0.0",
                "\"10.0.0\" is not an IPv4 address (four decimal numbers 0-255 separated by dots)",
            ),
            (
                " 10.0.0.5",
                "\" 10.0.0.5\" is not an IPv4 address (four decimal numbers 0-255 separated by dots)",
            ),
            (
                "10.0.0.5 ",
                "\"10.0.0.5 \" is not an IPv4 address (four decimal numbers 0-255 separated by dots)",
            ),
            (
                "010.0.0.5",
                "\"010.0.0.5\" is not an IPv4 address (four decimal numbers 0-255 separated by dots)",
            ),
            (
                "0x0a.0.0.5",
                "\"0x0a.0.0.5\" is not an IPv4 address (four decimal numbers 0-255 separated by dots)",
            ),
            (
                "fd00::5",
                "\"fd00::5\" is not an IPv4 address (four decimal numbers 0-255 separated by dots)",
            ),
            (
                "<your_private_ip>",
                "\"<your_private_ip>\" is not an IPv4 address (four decimal numbers 0-255 separated by dots)",
            ),
            (
                "",
                "\"\" is not an IPv4 address (four decimal numbers 0-255 separated by dots)",
            ),
            (
                "127.0.0.1",
                "127.0.0.1 is reserved (loopback), not the VM's private address",
            ),
            (
                "0.0.0.0",
                "0.0.0.0 is reserved (unspecified), not the VM's private address",
            ),
            (
                "255.255.255.255",
                "255.255.255.255 is reserved (broadcast), not the VM's private address",
            ),
            (
                "224.0.0.1",
                "224.0.0.1 is reserved (multicast), not the VM's private address",
            ),
            (
                "169.254.169.254",
                "169.254.169.254 is reserved (link-local), not the VM's private address",
            ),
            (
                "192.0.2.10",
                "192.0.2.10 is reserved (documentation), not the VM's private address",
            ),
        ];
        for (input, expected) in cases {
            let got = match parse(input) {
                Ok(ip) if ip.rfc1918 => "ok rfc1918".to_owned(),
                Ok(_) => "ok public".to_owned(),
                Err(error) => error.to_string(),
            };
            assert_eq!(got, expected, "input {input:?}");
        }
    }
}
