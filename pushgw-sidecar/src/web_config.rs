//! `--web.config.file`: the exporter-toolkit web configuration (spec §9.3): TLS, basic auth,
//! extra response headers and a global rate limit.
//!
//! The file is YAML parsed strictly, as the toolkit's `yaml.UnmarshalStrict` does: an unknown key
//! is an error naming the key. Relative file paths are relative to the config file's directory.
//! Everything (users' hashes, certificates, keys, CAs) is validated when the file is read, so a
//! bad file is a start-up failure, and a bad file on SIGHUP leaves the previous one in force.
//! Unlike the toolkit, which re-reads the file on every request and the certificate on every
//! handshake, we read it at start-up and on SIGHUP.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use http::{HeaderName, HeaderValue};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use serde::Deserialize;

use crate::auth::Users;

/// The file as written, field for field (exporter-toolkit's `Config`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    tls_server_config: RawTls,
    #[serde(default)]
    http_server_config: RawHttp,
    #[serde(default)]
    basic_auth_users: Option<BTreeMap<String, String>>,
    #[serde(default)]
    rate_limit: RawRateLimit,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    #[serde(default)]
    cert: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    client_ca: String,
    #[serde(default)]
    cert_file: String,
    #[serde(default)]
    key_file: String,
    #[serde(default)]
    client_auth_type: String,
    #[serde(default)]
    client_ca_file: String,
    #[serde(default)]
    cipher_suites: Vec<String>,
    #[serde(default)]
    curve_preferences: Vec<String>,
    #[serde(default)]
    min_version: Option<String>,
    #[serde(default)]
    max_version: Option<String>,
    #[serde(default)]
    prefer_server_cipher_suites: Option<bool>,
    #[serde(default)]
    client_allowed_sans: Option<Vec<String>>,
}

impl RawTls {
    /// The toolkit's `IsEnabled`: any TLS-related field set means TLS.
    fn is_enabled(&self) -> bool {
        [
            &self.cert,
            &self.key,
            &self.client_ca,
            &self.cert_file,
            &self.key_file,
            &self.client_ca_file,
            &self.client_auth_type,
        ]
        .iter()
        .any(|field| !field.is_empty())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    #[serde(default = "yes")]
    http2: bool,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

impl Default for RawHttp {
    fn default() -> Self {
        RawHttp {
            http2: true,
            headers: BTreeMap::new(),
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    #[serde(default)]
    burst: u32,
    #[serde(default)]
    interval: Option<String>,
}

/// A validated web configuration, ready to serve with.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The TLS server configuration (`None`: plain HTTP).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Headers set on every response (`http_server_config.headers`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// `basic_auth_users`: when non-empty, every request needs Basic auth.
    pub users: Users,
    /// `rate_limit`: at most one request per `interval` on average, bursts of `burst`.
    pub rate_limit: Option<RateLimit>,
}

/// `rate_limit` of the web config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Time between two requests on average.
    pub interval: Duration,
    /// Requests allowed at once.
    pub burst: u32,
}

impl WebConfig {
    /// No web config file: plain HTTP, no auth, no extra headers.
    pub fn plain() -> Self {
        WebConfig {
            tls: None,
            headers: Vec::new(),
            users: Users::default(),
            rate_limit: None,
        }
    }

    /// Reads and validates the file; errors name the file and the problem.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading web config file {}", path.display()))?;
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        Self::parse(&text, dir)
            .with_context(|| format!("invalid web config file {}", path.display()))
    }

    /// Validates the YAML text of a web config; relative paths are taken from `dir`.
    pub fn parse(text: &str, dir: &Path) -> anyhow::Result<Self> {
        let raw: RawConfig = if text.trim().is_empty() {
            RawConfig::default()
        } else {
            yaml_serde::from_str(text)?
        };
        let headers = validate_headers(&raw.http_server_config.headers)?;
        let users = Users::new(raw.basic_auth_users.unwrap_or_default())?;
        let rate_limit = match raw.rate_limit.interval.as_deref() {
            None => None,
            Some(interval) => {
                let interval = crate::duration::parse(interval)
                    .with_context(|| "rate_limit.interval".to_owned())?;
                (!interval.is_zero()).then_some(RateLimit {
                    interval,
                    burst: raw.rate_limit.burst,
                })
            }
        };
        let tls = if raw.tls_server_config.is_enabled() {
            Some(Arc::new(server_config(
                &raw.tls_server_config,
                raw.http_server_config.http2,
                dir,
            )?))
        } else {
            None
        };
        Ok(WebConfig {
            tls,
            headers,
            users,
            rate_limit,
        })
    }
}

/// The headers the toolkit allows, with their allowed values (empty: anything).
const ALLOWED_HEADERS: [(&str, &[&str]); 5] = [
    ("Strict-Transport-Security", &[]),
    ("X-Content-Type-Options", &["nosniff"]),
    ("X-Frame-Options", &["deny", "sameorigin"]),
    ("X-XSS-Protection", &[]),
    ("Content-Security-Policy", &[]),
];

fn validate_headers(
    headers: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<(HeaderName, HeaderValue)>> {
    headers
        .iter()
        .map(|(name, value)| {
            let (_, allowed) = ALLOWED_HEADERS
                .iter()
                .find(|(allowed_name, _)| allowed_name == name)
                .ok_or_else(|| anyhow!("HTTP header {name:?} can not be configured"))?;
            if !allowed.is_empty() && !allowed.iter().any(|v| v.eq_ignore_ascii_case(value)) {
                bail!("invalid value for {name}: expected one of {allowed:?}, got {value:?}");
            }
            let header_name = HeaderName::from_bytes(name.as_bytes())
                .with_context(|| format!("invalid header name {name:?}"))?;
            let header_value = HeaderValue::from_str(value)
                .with_context(|| format!("invalid value for {name}: {value:?}"))?;
            Ok((header_name, header_value))
        })
        .collect()
}

/// Builds the rustls configuration from `tls_server_config` (exporter-toolkit's
/// `ConfigToTLSConfig`), with the `ring` provider.
fn server_config(raw: &RawTls, http2: bool, dir: &Path) -> anyhow::Result<rustls::ServerConfig> {
    if raw.cert_file.is_empty() && raw.cert.is_empty() {
        bail!("missing one of cert or cert_file");
    }
    if raw.key_file.is_empty() && raw.key.is_empty() {
        bail!("missing one of key or key_file");
    }
    let cert_pem = pem_source(&raw.cert_file, &raw.cert, dir, "cert_file")?;
    let key_pem = pem_source(&raw.key_file, &raw.key, dir, "key_file")?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .context("failed to load X509KeyPair: cannot read certificate PEM")?;
    if chain.is_empty() {
        bail!("failed to load X509KeyPair: no certificate in cert PEM");
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .context("failed to load X509KeyPair: cannot read private key PEM")?;

    let provider = Arc::new(provider(raw)?);
    let versions = versions(raw)?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .context("unusable TLS versions or cipher suites")?;

    let client_ca_pem = if raw.client_ca_file.is_empty() {
        raw.client_ca.as_bytes().to_vec()
    } else {
        let path = dir.join(&raw.client_ca_file);
        std::fs::read(&path)
            .with_context(|| format!("failed to read client_ca_file ({})", path.display()))?
    };
    let has_ca = !client_ca_pem.is_empty();
    let client_auth = raw.client_auth_type.as_str();
    if has_ca && matches!(client_auth, "" | "NoClientCert") {
        bail!("client CA's have been configured without a Client Auth Policy");
    }
    if raw.client_allowed_sans.is_some()
        && !matches!(
            client_auth,
            "RequireAnyClientCert" | "RequireClientCert" | "RequireAndVerifyClientCert"
        )
    {
        bail!(
            "client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert"
        );
    }
    let verifier: Option<Arc<dyn ClientCertVerifier>> = match client_auth {
        "" | "NoClientCert" => None,
        "RequestClientCert" => Some(Arc::new(AnyClientCert::new(&provider, false))),
        "RequireAnyClientCert" | "RequireClientCert" => {
            Some(Arc::new(AnyClientCert::new(&provider, true)))
        }
        "VerifyClientCertIfGiven" | "RequireAndVerifyClientCert" => {
            if !has_ca {
                bail!("client_auth_type {client_auth} needs client_ca_file or client_ca");
            }
            let mut roots = rustls::RootCertStore::empty();
            for ca in CertificateDer::pem_slice_iter(&client_ca_pem) {
                let ca = ca.context("cannot read client CA PEM")?;
                roots.add(ca).context("cannot use client CA certificate")?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider);
            let verifier = if client_auth == "VerifyClientCertIfGiven" {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            Some(
                verifier
                    .build()
                    .context("cannot build the client certificate verifier")?,
            )
        }
        other => bail!("invalid ClientAuth: {other}"),
    };
    let verifier = match (verifier, &raw.client_allowed_sans) {
        (Some(inner), Some(allowed)) => Some(Arc::new(AllowedSans {
            inner,
            allowed: allowed.clone(),
        }) as Arc<dyn ClientCertVerifier>),
        (verifier, _) => verifier,
    };
    let builder = match verifier {
        Some(verifier) => builder.with_client_cert_verifier(verifier),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .context("failed to load X509KeyPair")?;
    config.ignore_client_order = raw.prefer_server_cipher_suites.unwrap_or(true);
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(config)
}

/// PEM bytes from a file (relative to the config's directory) or inline text.
fn pem_source(file: &str, inline: &str, dir: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    if file.is_empty() {
        return Ok(inline.as_bytes().to_vec());
    }
    let path: PathBuf = dir.join(file);
    std::fs::read(&path).with_context(|| format!("failed to read {what} ({})", path.display()))
}

/// The ring provider restricted to `cipher_suites` and `curve_preferences` when given.
fn provider(raw: &RawTls) -> anyhow::Result<CryptoProvider> {
    let mut provider = rustls::crypto::ring::default_provider();
    if !raw.cipher_suites.is_empty() {
        // Go applies cipher_suites to TLS 1.2 only; TLS 1.3 suites stay as they are.
        let mut suites: Vec<_> = provider
            .cipher_suites
            .iter()
            .filter(|suite| suite.version() == &rustls::version::TLS13)
            .copied()
            .collect();
        for name in &raw.cipher_suites {
            let suite = provider
                .cipher_suites
                .iter()
                .find(|suite| suite.suite().as_str() == Some(name.as_str()))
                .ok_or_else(|| anyhow!("unknown or unsupported cipher: {name}"))?;
            suites.push(*suite);
        }
        provider.cipher_suites = suites;
    }
    if !raw.curve_preferences.is_empty() {
        let groups = raw
            .curve_preferences
            .iter()
            .map(|name| {
                let wanted = match name.as_str() {
                    "X25519" => rustls::NamedGroup::X25519,
                    "CurveP256" => rustls::NamedGroup::secp256r1,
                    "CurveP384" => rustls::NamedGroup::secp384r1,
                    "CurveP521" => bail!("unsupported curve: {name}"),
                    _ => bail!("unknown curve: {name}"),
                };
                provider
                    .kx_groups
                    .iter()
                    .find(|group| group.name() == wanted)
                    .copied()
                    .ok_or_else(|| anyhow!("unsupported curve: {name}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        provider.kx_groups = groups;
    }
    Ok(provider)
}

/// `min_version`..`max_version` (defaults TLS12..TLS13), within what rustls offers.
fn versions(raw: &RawTls) -> anyhow::Result<Vec<&'static rustls::SupportedProtocolVersion>> {
    fn number(name: &str) -> anyhow::Result<u8> {
        match name {
            "TLS10" => Ok(0),
            "TLS11" => Ok(1),
            "TLS12" => Ok(2),
            "TLS13" => Ok(3),
            other => bail!("unknown TLS version: {other}"),
        }
    }
    let min = number(raw.min_version.as_deref().unwrap_or("TLS12"))?;
    let max = number(raw.max_version.as_deref().unwrap_or("TLS13"))?;
    // TLS 1.0 and 1.1 are not implemented by rustls; a range reaching down to them is served
    // from TLS 1.2 on.
    let versions: Vec<_> = [(2, &rustls::version::TLS12), (3, &rustls::version::TLS13)]
        .into_iter()
        .filter(|(version, _)| (min..=max).contains(version))
        .map(|(_, version)| version)
        .collect();
    if versions.is_empty() {
        bail!("no TLS version between min_version and max_version is supported (TLS12, TLS13)");
    }
    Ok(versions)
}

/// Go's `RequestClientCert` / `RequireAnyClientCert`: ask for a certificate, check only that
/// its owner holds the key, not who issued it.
#[derive(Debug)]
struct AnyClientCert {
    mandatory: bool,
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl AnyClientCert {
    fn new(provider: &CryptoProvider, mandatory: bool) -> Self {
        AnyClientCert {
            mandatory,
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ClientCertVerifier for AnyClientCert {
    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &[]
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// exporter-toolkit's `client_allowed_sans`: after the inner verifier accepts the certificate,
/// one of its subject alternative names must be in the list (exact match).
#[derive(Debug)]
struct AllowedSans {
    inner: Arc<dyn ClientCertVerifier>,
    allowed: Vec<String>,
}

impl ClientCertVerifier for AllowedSans {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: rustls::pki_types::UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let verified = self
            .inner
            .verify_client_cert(end_entity, intermediates, now)?;
        let names = crate::san::subject_alt_names(end_entity);
        if names.iter().any(|name| self.allowed.contains(name)) {
            Ok(verified)
        } else {
            Err(rustls::Error::General(format!(
                "could not find allowed SANs in client cert, found: {names:?}"
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_error(yaml: &str, needle: &str) {
        let err = WebConfig::parse(yaml, Path::new("/nonexistent")).expect_err("config accepted");
        let message = format!("{err:#}");
        assert!(message.contains(needle), "{message:?} lacks {needle:?}");
    }

    #[test]
    fn empty_file_is_plain_http() {
        let config = WebConfig::parse("", Path::new(".")).expect("empty config");
        assert!(config.tls.is_none() && config.users.is_empty() && config.headers.is_empty());
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_key() {
        check_error("tls_server_confg: {}\n", "tls_server_confg");
        check_error("tls_server_config:\n  cert_fil: x\n", "cert_fil");
        check_error("http_server_config:\n  http3: true\n", "http3");
    }

    #[test]
    fn headers_are_limited_to_the_toolkit_set() {
        let config = WebConfig::parse(
            "http_server_config:\n  headers:\n    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=31536000\n",
            Path::new("."),
        )
        .expect("valid headers");
        assert_eq!(config.headers.len(), 2);
        check_error(
            "http_server_config:\n  headers:\n    Server: x\n",
            "\"Server\" can not be configured",
        );
        check_error(
            "http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
            "X-Content-Type-Options",
        );
    }

    #[test]
    fn tls_needs_both_cert_and_key() {
        check_error(
            "tls_server_config:\n  key_file: k.pem\n",
            "missing one of cert or cert_file",
        );
        check_error(
            "tls_server_config:\n  cert_file: c.pem\n",
            "missing one of key or key_file",
        );
        check_error(
            "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n",
            "failed to read cert_file (/nonexistent/c.pem)",
        );
    }

    /// `tls_server_config` with an inline self-signed certificate and key, then `extra`.
    fn inline_tls(extra: &str) -> String {
        let key = rcgen::KeyPair::generate().expect("key");
        let certificate = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .expect("params")
            .self_signed(&key)
            .expect("certificate");
        let indent =
            |pem: &str| -> String { pem.lines().map(|line| format!("    {line}\n")).collect() };
        format!(
            "tls_server_config:\n  cert: |\n{}  key: |\n{}{extra}",
            indent(&certificate.pem()),
            indent(&key.serialize_pem())
        )
    }

    #[test]
    fn inline_certificates_enable_tls() {
        let config = WebConfig::parse(&inline_tls(""), Path::new("/nonexistent")).expect("valid");
        assert!(config.tls.is_some());
        let tuned = inline_tls(
            "  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n  curve_preferences: [X25519, CurveP256]\n  min_version: TLS12\n  max_version: TLS12\n  prefer_server_cipher_suites: false\n",
        );
        let config = WebConfig::parse(&tuned, Path::new("/nonexistent")).expect("valid");
        let tls = config.tls.expect("TLS on");
        assert!(!tls.ignore_client_order);
    }

    #[test]
    fn client_auth_settings_are_checked() {
        check_error(
            &inline_tls("  client_allowed_sans: [a]\n"),
            "client_allowed_sans requires client_auth_type",
        );
        check_error(
            &inline_tls("  client_auth_type: Sometimes\n"),
            "invalid ClientAuth: Sometimes",
        );
        check_error(
            &inline_tls("  client_auth_type: RequireAndVerifyClientCert\n"),
            "needs client_ca_file or client_ca",
        );
        check_error(
            &inline_tls("  client_ca_file: ca.pem\n"),
            "failed to read client_ca_file",
        );
        check_error(
            &inline_tls("  min_version: TLS14\n"),
            "unknown TLS version: TLS14",
        );
        check_error(
            &inline_tls("  curve_preferences: [CurveP521]\n"),
            "CurveP521",
        );
        check_error(
            &inline_tls("  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n"),
            "RC4",
        );
    }

    #[test]
    fn bad_users_are_rejected_when_read() {
        check_error("basic_auth_users:\n  alice: notahash\n", "alice");
    }

    #[test]
    fn rate_limit_interval_is_a_go_duration() {
        let config = WebConfig::parse(
            "rate_limit:\n  interval: 100ms\n  burst: 5\n",
            Path::new("."),
        )
        .expect("valid rate limit");
        assert_eq!(
            config.rate_limit,
            Some(RateLimit {
                interval: Duration::from_millis(100),
                burst: 5
            })
        );
        check_error("rate_limit:\n  interval: fast\n", "fast");
    }
}
