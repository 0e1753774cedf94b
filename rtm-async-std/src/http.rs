//! The HTTP client of the web call: surf over its default curl backend (isahc, system OpenSSL).
//!
//! Roots: curl reads trust anchors from a PEM file (`CURLOPT_CAINFO`), and ignores
//! `SSL_CERT_FILE`. So that the web call trusts exactly what the WebSocket trusts, the client
//! gets a private temporary bundle: the system's roots as rustls-native-certs reads them
//! (`SSL_CERT_FILE` / `SSL_CERT_DIR` honoured, as for the WebSocket) followed by the extra
//! roots. The file lives as long as the connector.
//!
//! Proxy: the one rtm-driver's [`Proxies`] chooses for the API URL (the same choice as the
//! WebSocket's), given to curl with its credentials; curl's own reading of the environment
//! is switched off.

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine;
use isahc::config::{CaCertificate, Configurable};
use rtm_driver::{Error, Proxies, Proxy, TransportOptions, Url, tls};
use tempfile::TempPath;

/// The surf clients of the web call: one per proxy choice (direct, or through one proxy),
/// made on first use (the API URL decides, and never changes, so usually one), and the CA
/// bundle file they read.
#[derive(Debug, Clone)]
pub(crate) struct HttpClient {
    inner: Arc<Mutex<Clients>>,
}

#[derive(Debug)]
struct Clients {
    /// A caller's client, used for every URL.
    fixed: Option<surf::Client>,
    made: Vec<(Option<Proxy>, surf::Client)>,
    proxies: Arc<Proxies>,
    ca_bundle: Option<TempPath>,
}

impl HttpClient {
    pub(crate) fn new(options: &TransportOptions, proxies: Arc<Proxies>) -> Result<Self, Error> {
        // Always: curl trusts exactly the WebSocket's roots (see the module docs).
        let ca_bundle = Some(write_ca_bundle(&options.extra_root_certs)?);
        let clients = Clients {
            fixed: None,
            made: Vec::new(),
            proxies,
            ca_bundle,
        };
        // Fails early (before any connection) if curl cannot be set up at all.
        let direct = clients.make(None)?;
        let mut clients = clients;
        clients.made.push((None, direct));
        Ok(HttpClient {
            inner: Arc::new(Mutex::new(clients)),
        })
    }

    /// A caller-supplied client: its own TLS and proxy settings apply.
    pub(crate) fn from_surf(surf: surf::Client) -> Self {
        HttpClient {
            inner: Arc::new(Mutex::new(Clients {
                fixed: Some(surf),
                made: Vec::new(),
                proxies: Arc::new(Proxies::none()),
                ca_bundle: None,
            })),
        }
    }

    /// The client for a web call to `url`.
    pub(crate) fn for_url(&self, url: &Url) -> Result<surf::Client, String> {
        let mut clients = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(fixed) = &clients.fixed {
            return Ok(fixed.clone());
        }
        let proxy = clients.proxies.for_url(url).cloned();
        if let Some((_, client)) = clients.made.iter().find(|(p, _)| *p == proxy) {
            return Ok(client.clone());
        }
        let client = clients.make(proxy.as_ref()).map_err(|e| e.to_string())?;
        clients.made.push((proxy, client.clone()));
        Ok(client)
    }
}

impl Clients {
    fn make(&self, proxy: Option<&Proxy>) -> Result<surf::Client, Error> {
        // No redirects (isahc's default): Slack's API never redirects, and a redirect is
        // reported as an error. `proxy(None)` also keeps curl from reading the environment:
        // proxy selection is rtm-driver's, for both connections.
        let mut builder = isahc::HttpClient::builder().tcp_nodelay();
        builder = match proxy {
            None => builder.proxy(None),
            Some(p) => {
                let uri = p
                    .to_string()
                    .parse::<isahc::http::Uri>()
                    .map_err(|e| Error::Transport(format!("proxy {p}: {e}")))?;
                let builder = builder.proxy(Some(uri));
                match p.credentials() {
                    Some((user, password)) => {
                        builder.proxy_credentials(isahc::auth::Credentials::new(user, password))
                    }
                    None => builder,
                }
            }
        };
        if let Some(path) = &self.ca_bundle {
            builder = builder.ssl_ca_certificate(CaCertificate::file(path.to_path_buf()));
        }
        let isahc = builder
            .build()
            .map_err(|e| Error::Transport(format!("HTTP client: {e}")))?;
        Ok(surf::Client::with_http_client(Curl(Some(
            http_client::isahc::IsahcClient::from_client(isahc),
        ))))
    }
}

/// surf's curl client, dropped off the executor: isahc joins its agent thread on drop, and the
/// driver drops its connector (the last owner) on an executor thread when it ends.
#[derive(Debug)]
struct Curl(Option<http_client::isahc::IsahcClient>);

#[http_client::async_trait]
impl http_client::HttpClient for Curl {
    async fn send(
        &self,
        request: http_client::Request,
    ) -> Result<http_client::Response, http_client::Error> {
        match &self.0 {
            Some(curl) => curl.send(request).await,
            // Only while being dropped, when nothing can call it.
            None => Err(http_client::Error::from_str(500, "HTTP client closed")),
        }
    }
}

impl Drop for Curl {
    fn drop(&mut self) {
        if let Some(curl) = self.0.take() {
            drop(async_std::task::spawn_blocking(move || drop(curl)));
        }
    }
}

/// Writes the system's roots (as rustls-native-certs reads them, like the WebSocket's) plus
/// `extra` (DER) as one PEM file.
fn write_ca_bundle(extra: &[Vec<u8>]) -> Result<TempPath, Error> {
    let io = |e: std::io::Error| Error::Tls(format!("writing the CA bundle for curl: {e}"));
    let mut file = tempfile::Builder::new()
        .prefix("rtm-async-std-ca-")
        .suffix(".pem")
        .tempfile()
        .map_err(io)?;
    let system = tls::native_root_certs();
    if system.is_empty() && extra.is_empty() {
        tracing::warn!("no root certificates in the system's store: TLS will fail verification");
    }
    for der in system
        .iter()
        .map(|c| c.as_ref())
        .chain(extra.iter().map(Vec::as_slice))
    {
        file.write_all(pem_certificate(der).as_bytes())
            .map_err(io)?;
    }
    file.flush().map_err(io)?;
    Ok(file.into_temp_path())
}

/// One certificate as PEM (RFC 7468: base64 in lines of 64 characters).
fn pem_certificate(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        // Base64 output is ASCII.
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_lines_are_64_characters_and_decode_back() {
        let der: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let pem = pem_certificate(&der);
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(*lines.last().unwrap(), "-----END CERTIFICATE-----");
        let body = &lines[1..lines.len() - 1];
        assert!(body[..body.len() - 1].iter().all(|l| l.len() == 64));
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(body.concat())
            .unwrap();
        assert_eq!(decoded, der);
    }

    #[test]
    fn the_bundle_ends_with_the_extra_roots_and_is_removed_on_drop() {
        let path = write_ca_bundle(&[vec![1, 2, 3], vec![4, 5, 6]]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let tail = format!(
            "{}{}",
            pem_certificate(&[1, 2, 3]),
            pem_certificate(&[4, 5, 6])
        );
        assert!(text.ends_with(&tail));
        let kept = path.to_path_buf();
        drop(path);
        assert!(!kept.exists());
    }
}
