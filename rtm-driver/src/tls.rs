//! One rustls configuration (ring provider, webpki roots plus the caller's), shared by the
//! adapters for the WebSocket (and, in rtm-tokio, the web call).

use std::sync::Arc;

use crate::{Error, TransportOptions};
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

/// The rustls client configuration for `options`: webpki roots plus its extra roots.
pub fn client_config(options: &TransportOptions) -> Result<ClientConfig, Error> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for der in &options.extra_root_certs {
        roots
            .add(CertificateDer::from(der.clone()))
            .map_err(|e| Error::Tls(format!("extra root certificate: {e}")))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}
