//! A crypto provider the process installed with `CryptoProvider::install_default` is the
//! one the shared TLS configuration uses (its own test binary: the default is per process).
#![cfg(feature = "ring")]

use std::sync::Arc;

use rtm_driver::{TransportOptions, tls};
use rustls::crypto::CryptoProvider;

#[test]
fn an_installed_provider_is_honoured() {
    // Before: the feature's provider (ring), a fresh one.
    let before = tls::client_config(&TransportOptions::default()).unwrap();
    // A provider with one cipher suite only, so it is recognisable.
    let mut custom = rustls::crypto::ring::default_provider();
    custom.cipher_suites.truncate(1);
    let suite = custom.cipher_suites[0].suite();
    custom.install_default().unwrap();
    let installed = CryptoProvider::get_default().unwrap().clone();
    let config = tls::client_config(&TransportOptions::default()).unwrap();
    assert!(Arc::ptr_eq(config.crypto_provider(), &installed));
    assert_eq!(config.crypto_provider().cipher_suites.len(), 1);
    assert_eq!(config.crypto_provider().cipher_suites[0].suite(), suite);
    assert!(before.crypto_provider().cipher_suites.len() > 1);
}
