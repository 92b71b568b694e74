//! The subject alternative names of an X.509 certificate, for the web config's
//! `client_allowed_sans` (exporter-toolkit matches a client certificate's DNS names, e-mail
//! addresses, IP addresses and URIs exactly against the allowed list).
//!
//! A minimal DER walk: certificate → TBSCertificate → extensions → subjectAltName. The
//! certificate has already been verified by rustls, so a malformed one simply has no names.

use std::net::IpAddr;

/// The SAN values as Go's `crypto/x509` lists them: DNS names, e-mail addresses, IP addresses
/// (Go's text form), URIs. Empty when the certificate has none or cannot be read.
///
/// ```
/// assert!(pushgw_sidecar::san::subject_alt_names(b"not DER").is_empty());
/// ```
pub fn subject_alt_names(certificate: &[u8]) -> Vec<String> {
    let mut dns = Vec::new();
    let mut emails = Vec::new();
    let mut ips = Vec::new();
    let mut uris = Vec::new();
    for (tag, value) in general_names(certificate).unwrap_or_default() {
        let text = || String::from_utf8_lossy(value).into_owned();
        match tag {
            0x81 => emails.push(text()),
            0x82 => dns.push(text()),
            0x86 => uris.push(text()),
            0x87 => {
                let ip = match value.len() {
                    4 => <[u8; 4]>::try_from(value).ok().map(IpAddr::from),
                    16 => <[u8; 16]>::try_from(value)
                        .ok()
                        .map(|octets| IpAddr::from(octets).to_canonical()),
                    _ => None,
                };
                ips.extend(ip.map(|ip| ip.to_string()));
            }
            _ => {}
        }
    }
    [dns, emails, ips, uris].concat()
}

/// The (tag, content) pairs of the subjectAltName extension's GeneralNames.
fn general_names(certificate: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    const SEQUENCE: u8 = 0x30;
    const EXTENSIONS: u8 = 0xa3;
    const OID: u8 = 0x06;
    const OCTET_STRING: u8 = 0x04;
    const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

    let (tag, certificate, _) = tlv(certificate)?;
    (tag == SEQUENCE).then_some(())?;
    let (tag, tbs, _) = tlv(certificate)?;
    (tag == SEQUENCE).then_some(())?;
    let extensions = elements(tbs)?
        .into_iter()
        .find_map(|(tag, content)| (tag == EXTENSIONS).then_some(content))?;
    let (tag, extensions, _) = tlv(extensions)?;
    (tag == SEQUENCE).then_some(())?;
    for (tag, extension) in elements(extensions)? {
        if tag != SEQUENCE {
            continue;
        }
        let fields = elements(extension)?;
        let is_san = fields
            .first()
            .is_some_and(|&(tag, oid)| tag == OID && oid == SUBJECT_ALT_NAME);
        if !is_san {
            continue;
        }
        // extnID, optional critical flag, then the value as an OCTET STRING.
        let value = fields
            .iter()
            .skip(1)
            .find_map(|&(tag, content)| (tag == OCTET_STRING).then_some(content))?;
        let (tag, names, _) = tlv(value)?;
        (tag == SEQUENCE).then_some(())?;
        return elements(names);
    }
    Some(Vec::new())
}

/// Every TLV of `input`, in order.
fn elements(mut input: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let (tag, content, rest) = tlv(input)?;
        out.push((tag, content));
        input = rest;
    }
    Some(out)
}

/// One DER tag-length-value (single-byte tags; definite lengths up to four bytes).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |length, &byte| (length << 8) | usize::from(byte));
        (length, &rest[count..])
    };
    (rest.len() >= length).then(|| (tag, &rest[..length], &rest[length..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_out_in_go_order() {
        let mut params =
            rcgen::CertificateParams::new(vec!["b.example".to_owned()]).expect("params");
        params.subject_alt_names.extend([
            rcgen::SanType::IpAddress("127.0.0.1".parse().expect("ip")),
            rcgen::SanType::Rfc822Name("ops@example.com".try_into().expect("email")),
            rcgen::SanType::URI("spiffe://example/job".try_into().expect("uri")),
            rcgen::SanType::IpAddress("::1".parse().expect("ip")),
            rcgen::SanType::DnsName("a.example".try_into().expect("dns")),
        ]);
        let key = rcgen::KeyPair::generate().expect("key");
        let certificate = params.self_signed(&key).expect("certificate");
        assert_eq!(
            subject_alt_names(certificate.der()),
            [
                "b.example",
                "a.example",
                "ops@example.com",
                "127.0.0.1",
                "::1",
                "spiffe://example/job"
            ]
        );
    }

    #[test]
    fn no_san_extension_means_no_names() {
        let params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        let key = rcgen::KeyPair::generate().expect("key");
        let certificate = params.self_signed(&key).expect("certificate");
        assert!(subject_alt_names(certificate.der()).is_empty());
    }

    #[test]
    fn truncated_input_has_no_names() {
        let params = rcgen::CertificateParams::new(vec!["x.example".to_owned()]).expect("params");
        let key = rcgen::KeyPair::generate().expect("key");
        let der = params
            .self_signed(&key)
            .expect("certificate")
            .der()
            .to_vec();
        for length in 0..der.len() {
            let _ = subject_alt_names(&der[..length]);
        }
        assert!(subject_alt_names(&der[..der.len() / 2]).is_empty());
    }
}
