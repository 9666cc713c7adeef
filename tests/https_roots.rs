//! The system's root certificates are loaded for `https` only, on the first handshake: a model
//! served over plain `http://` works even where no root certificate can be loaded, and an
//! `https://` endpoint is still checked against the roots (`SSL_CERT_FILE`), trusted when they
//! vouch for it and refused when they do not.

mod support;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use support::reins::{home_for, reins, Wire};
use support::{MockServer, Reply};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

/// A `$REINS_HOME` whose model is served at `base_url` (OpenAI wire), one try per request.
fn home_at(base_url: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("home");
    let config = format!(
        "model = \"mock\"\n[providers.mock]\nkind = \"openai\"\nbase_url = \"{base_url}\"\napi_key_env = \"MOCK_API_KEY\"\n[models.mock]\nprovider = \"mock\"\nname = \"m\"\ninput_price = 1.0\noutput_price = 2.0\n[retry]\nmax_tries = 1\n"
    );
    std::fs::write(home.path().join("config.toml"), config).expect("config");
    home
}

/// An HTTPS server on 127.0.0.1 with the `localhost` certificate signed by the fixture CA; every
/// request gets a one-message chat-completions stream saying `over tls`.
fn tls_server() -> u16 {
    let certs = CertificateDer::pem_file_iter(fixture("leaf.pem"))
        .expect("leaf.pem")
        .collect::<Result<Vec<_>, _>>()
        .expect("leaf certificate");
    let key = PrivateKeyDer::from_pem_file(fixture("leaf.key.pem")).expect("leaf key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = Arc::clone(&config);
            std::thread::spawn(move || {
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let _ = serve_one(&mut tls);
            });
        }
    });
    port
}

fn serve_one(stream: &mut (impl Read + Write)) -> std::io::Result<()> {
    let mut reader = BufReader::new(&mut *stream);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let chunk = |delta: &str, finish: &str| {
        format!(
            "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n"
        )
    };
    let events = [
        chunk(r#"{"role":"assistant","content":"over tls"}"#, "null"),
        chunk("{}", r#""stop""#),
        "data: [DONE]\n\n".to_string(),
    ]
    .concat();
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{events}",
        events.len()
    )?;
    stream.flush()
}

#[test]
fn plain_http_works_where_no_root_certificate_can_be_loaded() {
    let server = MockServer::start(vec![Reply::text("no roots needed")]);
    let home = home_for(&server, Wire::OpenAi);
    let ws = tempfile::tempdir().expect("ws");
    let out = reins(home.path())
        .env("SSL_CERT_FILE", "/nonexistent/reins-test/ca.pem")
        .env("SSL_CERT_DIR", "/nonexistent/reins-test/certs")
        .args(["exec", "-C"])
        .arg(ws.path())
        .arg("hi")
        .output()
        .expect("run reins");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "reins failed: {stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("no roots needed"));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn https_is_trusted_when_the_roots_vouch_for_the_server() {
    let port = tls_server();
    let home = home_at(&format!("https://localhost:{port}/v1"));
    let ws = tempfile::tempdir().expect("ws");
    let out = reins(home.path())
        .env("SSL_CERT_FILE", fixture("ca.pem"))
        .env_remove("SSL_CERT_DIR")
        .args(["exec", "-C"])
        .arg(ws.path())
        .arg("hi")
        .output()
        .expect("run reins");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "reins failed: {stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("over tls"));
}

#[test]
fn https_is_refused_when_the_roots_do_not_vouch_for_the_server() {
    let port = tls_server();
    let home = home_at(&format!("https://localhost:{port}/v1"));
    let ws = tempfile::tempdir().expect("ws");
    let out = reins(home.path())
        .env("SSL_CERT_FILE", fixture("other-ca.pem"))
        .env_remove("SSL_CERT_DIR")
        .args(["exec", "-C"])
        .arg(ws.path())
        .arg("hi")
        .output()
        .expect("run reins");
    assert!(!out.status.success(), "an untrusted server was accepted");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("over tls"));
}

#[test]
fn https_without_loadable_roots_fails_and_says_why() {
    let port = tls_server();
    let home = home_at(&format!("https://localhost:{port}/v1"));
    let ws = tempfile::tempdir().expect("ws");
    let out = reins(home.path())
        .env("SSL_CERT_FILE", "/nonexistent/reins-test/ca.pem")
        .env("SSL_CERT_DIR", "/nonexistent/reins-test/certs")
        .args(["exec", "-C"])
        .arg(ws.path())
        .arg("hi")
        .output()
        .expect("run reins");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "https without roots was accepted");
    assert!(stderr.contains("root certificates"), "{stderr}");
}
