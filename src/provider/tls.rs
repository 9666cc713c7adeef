//! TLS for every HTTP client reins builds (model providers, MCP over HTTP): rustls with the
//! platform's root certificates, loaded on the first `https` handshake, once per process.
//!
//! reqwest's own rustls set-up builds a platform verifier as the client is built, and that
//! verifier reads every system CA certificate (about 280 files under `/etc/ssl/certs` on a
//! Debian-like system, tens of milliseconds) before the first request, even for an `http://`
//! endpoint, and again for every client. Here the TLS configuration is built once per process
//! and its verifier loads the roots only when a server certificate must actually be checked, so
//! a local model on `http://` never pays for them and `https` pays once. The roots are the same
//! ones reqwest would use (`rustls-platform-verifier`, which honours `SSL_CERT_FILE` and
//! `SSL_CERT_DIR`), and a failure to load them fails that handshake with the cause.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// A reqwest client builder that uses the process's shared TLS configuration (reqwest's own
/// set-up, which loads the roots as it builds, only if that configuration could not be made).
pub fn client_builder() -> reqwest::ClientBuilder {
    match shared_config() {
        Some(config) => reqwest::Client::builder().tls_backend_preconfigured(config.clone()),
        None => {
            super::install_crypto_provider();
            reqwest::Client::builder()
        }
    }
}

/// A blocking client with the same TLS set-up and a time limit on every request, for senders
/// that run on threads of their own (the telemetry exporters). Build and drop it off any tokio
/// runtime: it runs one of its own.
pub fn blocking_client(timeout: std::time::Duration) -> reqwest::Result<reqwest::blocking::Client> {
    let builder = reqwest::blocking::Client::builder().timeout(timeout);
    let builder = match shared_config() {
        Some(config) => builder.tls_backend_preconfigured(config.clone()),
        None => {
            super::install_crypto_provider();
            builder
        }
    };
    builder.build()
}

/// The process's TLS client configuration: HTTP/2 and HTTP/1.1 offered by ALPN (as reqwest
/// offers them when it builds the configuration itself), TLS 1.2 and 1.3, server certificates
/// checked against the platform roots by [`LazyRoots`]. `None` if the crypto provider cannot
/// do the safe default protocol versions (ring can).
fn shared_config() -> Option<&'static rustls::ClientConfig> {
    static CONFIG: OnceLock<Option<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = crypto_provider();
            let verifier = LazyRoots {
                provider: Arc::clone(&provider),
                load: platform_verifier,
            };
            let mut config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .ok()?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth();
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            Some(config)
        })
        .as_ref()
}

/// ring, installed as the process default (reqwest is built without a provider of its own).
fn crypto_provider() -> Arc<CryptoProvider> {
    super::install_crypto_provider();
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// A verifier with its roots loaded, or why they could not be.
type Loaded = Result<Arc<dyn ServerCertVerifier>, RootsUnavailable>;

/// The platform's root certificates could not be loaded (no CA bundle, an unreadable
/// `SSL_CERT_FILE`, …): every `https` handshake fails with this, naming the cause.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot load the system's root certificates: {0}")]
struct RootsUnavailable(rustls::Error);

/// The platform's verifier with its root certificates, built once per process.
fn platform_verifier(provider: &Arc<CryptoProvider>) -> Loaded {
    static VERIFIER: OnceLock<Loaded> = OnceLock::new();
    VERIFIER
        .get_or_init(|| {
            rustls_platform_verifier::Verifier::new(Arc::clone(provider))
                .map(|v| Arc::new(v) as Arc<dyn ServerCertVerifier>)
                .map_err(RootsUnavailable)
        })
        .clone()
}

/// A certificate verifier that builds the real one (`load`) on the first certificate it must
/// check. The signature schemes offered in the ClientHello come from the crypto provider, which
/// is what the real verifier reports too, so nothing is loaded before a handshake needs it.
struct LazyRoots {
    provider: Arc<CryptoProvider>,
    load: fn(&Arc<CryptoProvider>) -> Loaded,
}

impl LazyRoots {
    fn verifier(&self) -> Result<Arc<dyn ServerCertVerifier>, rustls::Error> {
        (self.load)(&self.provider).map_err(|e| rustls::Error::General(e.to_string()))
    }
}

impl std::fmt::Debug for LazyRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LazyRoots")
    }
}

impl ServerCertVerifier for LazyRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static LOADS: AtomicUsize = AtomicUsize::new(0);

    fn counting_loader(provider: &Arc<CryptoProvider>) -> Loaded {
        LOADS.fetch_add(1, Ordering::SeqCst);
        assert!(!provider.signature_verification_algorithms.all.is_empty());
        Err(RootsUnavailable(rustls::Error::General(
            "no roots here".into(),
        )))
    }

    #[test]
    fn offering_schemes_loads_no_roots_and_a_certificate_check_does() {
        let lazy = LazyRoots {
            provider: crypto_provider(),
            load: counting_loader,
        };
        assert!(!lazy.supported_verify_schemes().is_empty());
        assert_eq!(
            LOADS.load(Ordering::SeqCst),
            0,
            "roots loaded before a handshake"
        );
        let name = ServerName::try_from("example.com").expect("name");
        let err = lazy
            .verify_server_cert(
                &CertificateDer::from(vec![0u8]),
                &[],
                &name,
                &[],
                UnixTime::now(),
            )
            .expect_err("no roots, no trust");
        assert!(err.to_string().contains("no roots here"), "{err}");
        assert_eq!(LOADS.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_shared_configuration_offers_h2_and_http1() {
        assert_eq!(
            shared_config()
                .expect("ring does TLS 1.2 and 1.3")
                .alpn_protocols,
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }
}
