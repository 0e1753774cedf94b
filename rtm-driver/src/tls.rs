//! One rustls configuration, shared by the adapters for the WebSocket (and, in rtm-tokio, the
//! web call): trust roots, crypto provider, and the reading of certificate errors.
//!
//! Roots: the operating system's store (feature `native-roots`, read with
//! rustls-native-certs, which honours `SSL_CERT_FILE` and `SSL_CERT_DIR`; a corporate root
//! installed on the machine just works), the bundled webpki roots (feature `webpki-roots`,
//! for containers without a store), or both; plus the builder's extra roots in every case.
//!
//! Crypto provider: the one the process installed with
//! `rustls::crypto::CryptoProvider::install_default`, else ring (feature `ring`), else
//! aws-lc-rs (feature `aws-lc-rs`).

use std::sync::Arc;

use crate::{Error, TransportOptions};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::{CertificateError, ClientConfig, RootCertStore};

/// The rustls client configuration for `options`: the configured roots plus its extra roots.
pub fn client_config(options: &TransportOptions) -> Result<ClientConfig, Error> {
    let mut roots = RootCertStore::empty();
    add_default_roots(&mut roots);
    for der in &options.extra_root_certs {
        roots
            .add(CertificateDer::from(der.clone()))
            .map_err(|e| Error::Tls(format!("extra root certificate: {e}")))?;
    }
    if roots.is_empty() {
        tracing::warn!(
            "no trusted root certificates (empty system store and no extra roots): every TLS \
             connection will fail verification"
        );
    }
    let config = ClientConfig::builder_with_provider(provider()?)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// The crypto provider: the process default if one was installed, else the feature's.
pub fn provider() -> Result<Arc<CryptoProvider>, Error> {
    if let Some(installed) = CryptoProvider::get_default() {
        return Ok(installed.clone());
    }
    #[cfg(feature = "ring")]
    {
        Ok(Arc::new(rustls::crypto::ring::default_provider()))
    }
    #[cfg(all(feature = "aws-lc-rs", not(feature = "ring")))]
    {
        Ok(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
    }
    #[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
    {
        Err(Error::Tls(
            "no rustls crypto provider: enable feature `ring` or `aws-lc-rs`, or install one \
             with rustls::crypto::CryptoProvider::install_default"
                .to_owned(),
        ))
    }
}

/// The operating system's root certificates (DER), as rustls-native-certs reads them
/// (`SSL_CERT_FILE` and `SSL_CERT_DIR` honoured): for a TLS library other than rustls that
/// must trust the same roots (rtm-async-std's curl).
#[cfg(feature = "native-roots")]
pub fn native_root_certs() -> Vec<CertificateDer<'static>> {
    let found = rustls_native_certs::load_native_certs();
    for e in &found.errors {
        tracing::warn!(error = %e, "reading the system's root certificates");
    }
    found.certs
}

fn add_default_roots(roots: &mut RootCertStore) {
    #[cfg(feature = "native-roots")]
    {
        let (added, ignored) = roots.add_parsable_certificates(native_root_certs());
        tracing::debug!(added, ignored, "system root certificates");
    }
    #[cfg(feature = "webpki-roots")]
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let _ = roots;
}

/// If `e` is a rustls error about the peer's certificate, why it failed, in words.
pub(crate) fn certificate_error(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let rustls::Error::InvalidCertificate(cert) = e.downcast_ref::<rustls::Error>()? else {
        return None;
    };
    Some(describe_certificate_error(cert))
}

fn describe_certificate_error(e: &CertificateError) -> String {
    match e {
        CertificateError::UnknownIssuer => "unknown issuer: the certificate does not chain to a \
             trusted root (trust its CA with add_root_certificate or --ca-cert, or install it \
             in the system's store)"
            .to_owned(),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            format!("the certificate has expired ({e})")
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            format!("the certificate is not valid yet ({e})")
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!("name mismatch: the certificate is not valid for this host ({e})")
        }
        other => format!("invalid certificate: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_errors_are_named_and_found_through_io_errors() {
        let e = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        let reason = crate::certificate_failure(&io).unwrap();
        assert!(reason.starts_with("unknown issuer"), "{reason}");
        let e = rustls::Error::InvalidCertificate(CertificateError::NotValidForName);
        assert!(
            crate::certificate_failure(&e)
                .unwrap()
                .contains("name mismatch")
        );
        let e = rustls::Error::InvalidCertificate(CertificateError::Expired);
        assert!(crate::certificate_failure(&e).unwrap().contains("expired"));
        let other = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(crate::certificate_failure(&other), None);
    }
}
