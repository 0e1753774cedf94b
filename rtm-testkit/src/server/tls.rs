//! A self-signed certificate for `localhost` / `127.0.0.1`, served with rustls (ring).

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use super::Error;

/// The server's certificate, for clients to trust as a root.
#[derive(Debug, Clone)]
pub struct TlsCert {
    der: Vec<u8>,
    pem: String,
}

impl TlsCert {
    /// DER bytes of the certificate.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM text of the certificate.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// The certificate as rustls takes it (e.g. for `RootCertStore::add`).
    pub fn certificate_der(&self) -> CertificateDer<'static> {
        CertificateDer::from(self.der.clone())
    }
}

/// Generates a fresh certificate and the acceptor that serves it.
pub(crate) fn self_signed() -> Result<(TlsCert, TlsAcceptor), Error> {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let certified =
        rcgen::generate_simple_self_signed(names).map_err(|e| Error::Tls(e.to_string()))?;
    let der = certified.cert.der().to_vec();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    // Name the provider: the process-wide default may be unset or be another crate's.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(der.clone())], key)
        .map_err(|e| Error::Tls(e.to_string()))?;
    let cert = TlsCert {
        der,
        pem: certified.cert.pem(),
    };
    Ok((cert, TlsAcceptor::from(Arc::new(config))))
}
