//! `--web.config.file` end to end: TLS (with HTTP/2 by ALPN and client certificates), Basic
//! auth with bcrypt, extra headers. Certificates are generated per test with rcgen.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{Sidecar, request, send_tls};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A CA, a server certificate for `localhost` and a client certificate, all as PEM files.
struct Pki {
    dir: tempfile::TempDir,
    ca_pem: String,
    client_pem: String,
    client_key_pem: String,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key"))
            .expect("CA certificate");
        let issue = |names: Vec<String>| {
            let key = KeyPair::generate().expect("key");
            let certificate = CertificateParams::new(names)
                .expect("params")
                .signed_by(&key, &ca)
                .expect("certificate");
            (certificate.pem(), key.serialize_pem())
        };
        let (server_pem, server_key_pem) = issue(vec!["localhost".to_owned()]);
        let (client_pem, client_key_pem) = issue(vec!["client.example".to_owned()]);
        std::fs::write(dir.path().join("server.pem"), &server_pem).expect("write");
        std::fs::write(dir.path().join("server.key"), &server_key_pem).expect("write");
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).expect("write");
        Pki {
            dir,
            ca_pem: ca.pem(),
            client_pem,
            client_key_pem,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `web.yml` (server cert and key paths relative to it) and starts the sidecar.
    fn start(&self, extra_yaml: &str) -> Sidecar {
        let config = self.path().join("web.yml");
        let yaml = format!(
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n{extra_yaml}"
        );
        std::fs::write(&config, yaml).expect("write web config");
        let sidecar = Sidecar::start(&[&format!("--web.config.file={}", config.display())]);
        sidecar.wait_for_log("TLS is enabled.");
        sidecar
    }

    fn client(&self, alpn: &[&[u8]], with_client_cert: bool) -> Arc<rustls::ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(self.ca_pem.as_bytes()).expect("CA PEM"))
            .expect("CA accepted");
        let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
        let mut config = if with_client_cert {
            let chain =
                vec![CertificateDer::from_pem_slice(self.client_pem.as_bytes()).expect("PEM")];
            let key = PrivateKeyDer::from_pem_slice(self.client_key_pem.as_bytes()).expect("key");
            builder
                .with_client_auth_cert(chain, key)
                .expect("client cert")
        } else {
            builder.with_no_client_auth()
        };
        config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
        Arc::new(config)
    }
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Authorization: Basic {encoded}")
}

#[test]
fn tls_with_basic_auth_and_headers() {
    let pki = Pki::new();
    let hash = bcrypt::hash("secret", 4).expect("hash");
    let sidecar = pki.start(&format!(
        "basic_auth_users:\n  alice: {hash}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n"
    ));
    let client = pki.client(&[b"http/1.1"], false);
    let get = |headers: &[&str]| {
        send_tls(
            sidecar.address,
            client.clone(),
            &request("GET", "/-/healthy", headers, b""),
        )
        .expect("TLS request")
    };

    let anonymous = get(&[]);
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.header("WWW-Authenticate"), Some("Basic"));
    assert_eq!(anonymous.text(), "Unauthorized\n");
    assert_eq!(anonymous.header("X-Frame-Options"), Some("deny"));

    assert_eq!(get(&[&basic("alice", "wrong")]).status, 401);
    assert_eq!(get(&[&basic("mallory", "secret")]).status, 401);
    let ok = get(&[&basic("alice", "secret")]);
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("X-Frame-Options"), Some("deny"));
    // The cached success still needs the right password.
    assert_eq!(get(&[&basic("alice", "secret")]).status, 200);
    assert_eq!(get(&[&basic("alice", "secre")]).status, 401);
}

#[test]
fn plain_http_on_the_tls_port_gets_go_answer() {
    let pki = Pki::new();
    let sidecar = pki.start("");
    let response = common::send(sidecar.address, &request("GET", "/-/healthy", &[], b""));
    assert_eq!(response.status, 400);
    assert_eq!(
        response.text(),
        "Client sent an HTTP request to an HTTPS server.\n"
    );
}

#[test]
fn http2_is_offered_by_alpn_unless_disabled() {
    let pki = Pki::new();
    let negotiated = |sidecar: &Sidecar| {
        let config = pki.client(&[b"h2", b"http/1.1"], false);
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
        let mut connection = rustls::ClientConnection::new(config, name).expect("client");
        let mut socket = std::net::TcpStream::connect(sidecar.address).expect("connect");
        while connection.is_handshaking() {
            connection.complete_io(&mut socket).expect("handshake");
        }
        connection.alpn_protocol().map(<[u8]>::to_vec)
    };
    let with_h2 = pki.start("");
    assert_eq!(negotiated(&with_h2).as_deref(), Some(&b"h2"[..]));
    drop(with_h2);
    let without_h2 = pki.start("http_server_config:\n  http2: false\n");
    assert_eq!(negotiated(&without_h2).as_deref(), Some(&b"http/1.1"[..]));
}

/// A real HTTP/2 exchange over TLS (hyper's client), with Basic auth.
#[test]
fn http2_requests_are_served() {
    let pki = Pki::new();
    let hash = bcrypt::hash("secret", 4).expect("hash");
    let sidecar = pki.start(&format!("basic_auth_users:\n  alice: {hash}\n"));
    let config = pki.client(&[b"h2"], false);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let statuses = runtime.block_on(async {
        let tcp = tokio::net::TcpStream::connect(sidecar.address)
            .await
            .expect("connect");
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .expect("handshake");
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let (mut sender, connection) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            hyper_util::rt::TokioIo::new(tls),
        )
        .await
        .expect("HTTP/2 handshake");
        tokio::spawn(connection);
        let mut statuses = Vec::new();
        for authorization in [None, Some(basic("alice", "secret"))] {
            let mut request = http::Request::get("https://localhost/-/healthy");
            if let Some(header) = &authorization {
                let value = header.trim_start_matches("Authorization: ");
                request = request.header("authorization", value);
            }
            let request = request
                .body(http_body_util::Empty::<bytes::Bytes>::new())
                .expect("request");
            let response = sender.send_request(request).await.expect("response");
            assert_eq!(response.version(), http::Version::HTTP_2);
            statuses.push(response.status().as_u16());
        }
        statuses
    });
    assert_eq!(statuses, [401, 200]);
}

#[test]
fn require_and_verify_client_cert() {
    let pki = Pki::new();
    let sidecar =
        pki.start("  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n");
    let healthy = request("GET", "/-/healthy", &[], b"");
    let with_cert = send_tls(sidecar.address, pki.client(&[], true), &healthy).expect("mTLS");
    assert_eq!(with_cert.status, 200);
    let without = send_tls(sidecar.address, pki.client(&[], false), &healthy);
    assert!(
        without.is_err(),
        "served without a client certificate: {without:?}"
    );
}

#[test]
fn client_allowed_sans_must_match_a_name_of_the_client_certificate() {
    let pki = Pki::new();
    let healthy = request("GET", "/-/healthy", &[], b"");
    let auth = "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n";
    let allowed = pki.start(&format!("{auth}  client_allowed_sans: [client.example]\n"));
    let response = send_tls(allowed.address, pki.client(&[], true), &healthy).expect("mTLS");
    assert_eq!(response.status, 200);
    drop(allowed);
    let other = pki.start(&format!("{auth}  client_allowed_sans: [other.example]\n"));
    let refused = send_tls(other.address, pki.client(&[], true), &healthy);
    assert!(
        refused.is_err(),
        "served a client whose SAN is not allowed: {refused:?}"
    );
}

#[test]
fn tls_rejects_versions_it_cannot_do() {
    let pki = Pki::new();
    let config = pki.path().join("web.yml");
    std::fs::write(
        &config,
        "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  min_version: TLS14\n",
    )
    .expect("write");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pushgw-sidecar"))
        .arg(format!("--web.config.file={}", config.display()))
        .arg("--web.listen-address=127.0.0.1:0")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("TLS14"));
}
