//! TLS of the HTTP clients the runtime builds ([`crate::http_client_builder`]): which stack
//! is used, the crypto provider installed explicitly, and the system's root certificates
//! loaded once per process, on the first https handshake (never for `http://` URLs).
//!
//! The stack follows the crate's features (README, "Features"):
//!
//! 1. `rustls-aws-lc` or `rustls-ring`: rustls. Its crypto provider is, in this order, the
//!    one the program installed itself ([`rustls::crypto::CryptoProvider::install_default`]),
//!    aws-lc-rs when `rustls-aws-lc` is on, ring otherwise; the runtime installs it as the
//!    process default when none is, so enabling both features never panics. The
//!    certificate verifier is the platform's (`rustls-platform-verifier`), built lazily by
//!    the first handshake of the process and shared by every client after it: creating a
//!    client reads no file.
//! 2. otherwise `native-tls`: the platform's TLS (OpenSSL on Linux), as reqwest sets it up.
//! 3. none: the client speaks `http://` only; an `https://` URL fails with a transport
//!    error (nothing is sent).

/// Installs the rustls crypto provider the crate's features select as the process default,
/// unless the program installed one already; does nothing without a rustls feature. Never
/// panics, whichever features are on.
///
/// The runtime calls it before it builds an HTTP client and when a [`crate::Runtime`] is
/// built; call it yourself before building a `reqwest::Client` of your own that uses the
/// same reqwest (with only `rustls-no-provider`, reqwest panics when no provider is
/// installed).
///
/// ```
/// snapshots_runtime::install_crypto_provider();
/// let client = reqwest::Client::new();
/// # let _ = client;
/// ```
pub fn install_crypto_provider() {
    #[cfg(any(feature = "rustls-ring", feature = "rustls-aws-lc"))]
    rustls_stack::provider();
}

/// `builder` with the TLS stack the features select.
pub(crate) fn configure(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    #[cfg(any(feature = "rustls-ring", feature = "rustls-aws-lc"))]
    return rustls_stack::configure(builder);
    #[cfg(all(
        feature = "native-tls",
        not(any(feature = "rustls-ring", feature = "rustls-aws-lc"))
    ))]
    return builder.tls_backend_native();
    #[cfg(not(any(
        feature = "rustls-ring",
        feature = "rustls-aws-lc",
        feature = "native-tls"
    )))]
    builder
}

#[cfg(any(feature = "rustls-ring", feature = "rustls-aws-lc"))]
mod rustls_stack {
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, SignatureScheme};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, OnceLock};

    /// How many times this process has loaded the system's root certificates.
    static LOADS: AtomicUsize = AtomicUsize::new(0);

    /// The one TLS configuration of the process (its verifier holds the roots once loaded).
    static CONFIG: OnceLock<Result<rustls::ClientConfig, rustls::Error>> = OnceLock::new();

    /// `builder` with the process's rustls configuration. When it cannot be made (a
    /// provider without a protocol version in common with rustls), the builder is given
    /// nothing it can use, so that `build()` fails: no client without TLS verification.
    pub(super) fn configure(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        match CONFIG.get_or_init(config) {
            Ok(config) => builder.tls_backend_preconfigured(config.clone()),
            Err(error) => {
                tracing::error!(%error, "no TLS configuration: the HTTP client cannot be built");
                builder.tls_backend_preconfigured(())
            }
        }
    }

    fn config() -> Result<rustls::ClientConfig, rustls::Error> {
        let provider = provider();
        let verifier = Arc::new(LazyRoots {
            provider: provider.clone(),
            verifier: OnceLock::new(),
        });
        Ok(rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth())
    }

    /// The process's default provider, installing the one the features select when the
    /// program installed none.
    pub(super) fn provider() -> Arc<CryptoProvider> {
        if let Some(installed) = CryptoProvider::get_default() {
            return installed.clone();
        }
        // An error means another thread installed a default first: that one is used.
        let _ = selected().install_default();
        CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(selected()))
    }

    #[cfg(feature = "rustls-aws-lc")]
    fn selected() -> CryptoProvider {
        rustls::crypto::aws_lc_rs::default_provider()
    }

    #[cfg(not(feature = "rustls-aws-lc"))]
    fn selected() -> CryptoProvider {
        rustls::crypto::ring::default_provider()
    }

    /// The platform verifier, built (loading the system's roots) by the first certificate
    /// it is asked to verify. Signatures are checked with the provider's algorithms, as the
    /// platform verifier itself does, so they need no roots.
    #[derive(Debug)]
    pub(super) struct LazyRoots {
        provider: Arc<CryptoProvider>,
        verifier: OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
    }

    impl LazyRoots {
        fn verifier(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
            let loaded = self.verifier.get_or_init(|| {
                LOADS.fetch_add(1, Ordering::Relaxed);
                rustls_platform_verifier::Verifier::new(self.provider.clone())
            });
            loaded.as_ref().map_err(Clone::clone)
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
            let algorithms = &self.provider.signature_verification_algorithms;
            rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            let algorithms = &self.provider.signature_verification_algorithms;
            rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
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
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        /// A loopback server answering every connection's first request with 204.
        async fn answering_server() -> std::net::SocketAddr {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move {
                while let Ok((mut socket, _)) = listener.accept().await {
                    let mut buf = [0u8; 1024];
                    let _ = socket.read(&mut buf).await;
                    let _ = socket
                        .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                        .await;
                }
            });
            addr
        }

        /// Clients and plain-HTTP calls load no certificate; the first certificate to
        /// verify loads the roots, once for the whole process.
        #[tokio::test]
        async fn roots_are_loaded_once_and_only_for_a_certificate() {
            let addr = answering_server().await;
            for _ in 0..3 {
                let client = crate::http_client_builder().no_proxy().build().unwrap();
                let response = client.get(format!("http://{addr}/")).send().await.unwrap();
                assert_eq!(response.status(), 204);
            }
            assert_eq!(LOADS.load(Ordering::Relaxed), 0);
            assert!(
                matches!(CONFIG.get(), Some(Ok(_))),
                "one configuration, built"
            );
            // The configuration's verifier is a `LazyRoots` like this one.
            let verifier = LazyRoots {
                provider: provider(),
                verifier: OnceLock::new(),
            };
            let name = ServerName::try_from("example.com").unwrap();
            for _ in 0..2 {
                let junk = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
                let verdict = verifier.verify_server_cert(&junk, &[], &name, &[], UnixTime::now());
                assert!(verdict.is_err(), "a junk certificate was accepted");
            }
            assert_eq!(LOADS.load(Ordering::Relaxed), 1);
        }

        #[test]
        fn the_selected_provider_is_installed_as_the_process_default() {
            let provider = provider();
            let installed = CryptoProvider::get_default().expect("a default provider");
            assert!(Arc::ptr_eq(&provider, installed));
            // Asking again neither panics nor replaces it.
            assert!(Arc::ptr_eq(&super::provider(), installed));
        }
    }
}
