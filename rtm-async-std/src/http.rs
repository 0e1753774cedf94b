//! The HTTP client of the web call: surf over its default curl backend (isahc, system OpenSSL).
//!
//! curl reads extra trust anchors only from a PEM file (`CURLOPT_CAINFO`), and that file
//! replaces the system bundle curl found. So with extra roots, the client gets a private
//! temporary bundle: the system bundle (found as curl finds it, with openssl-probe) followed by
//! the extra roots. The file lives as long as the connector.

use std::io::Write;
use std::sync::Arc;

use base64::Engine;
use isahc::config::{CaCertificate, Configurable};
use rtm_driver::{Error, TransportOptions};
use tempfile::TempPath;

/// A surf client configured from the transport options, and the CA bundle file it reads.
#[derive(Debug, Clone)]
pub(crate) struct HttpClient {
    pub(crate) surf: surf::Client,
    /// Deleted when the last clone is dropped.
    _ca_bundle: Option<Arc<TempPath>>,
}

impl HttpClient {
    pub(crate) fn new(options: &TransportOptions) -> Result<Self, Error> {
        let mut builder = isahc::HttpClient::builder()
            .tcp_nodelay()
            // Like reqwest in rtm-tokio: no redirects (isahc's default), no environment proxy
            // unless asked, since it would apply to the web call but not to the socket.
            .proxy(match &options.proxy {
                Some(url) => Some(
                    url.parse::<isahc::http::Uri>()
                        .map_err(|e| Error::Transport(format!("proxy: {e}")))?,
                ),
                None => None,
            });
        let ca_bundle = if options.extra_root_certs.is_empty() {
            None
        } else {
            let path = write_ca_bundle(&options.extra_root_certs)?;
            builder = builder.ssl_ca_certificate(CaCertificate::file(path.to_path_buf()));
            Some(Arc::new(path))
        };
        let isahc = builder
            .build()
            .map_err(|e| Error::Transport(format!("HTTP client: {e}")))?;
        Ok(HttpClient {
            surf: surf::Client::with_http_client(Curl(Some(
                http_client::isahc::IsahcClient::from_client(isahc),
            ))),
            _ca_bundle: ca_bundle,
        })
    }

    /// A caller-supplied client: its own TLS and proxy settings apply.
    pub(crate) fn from_surf(surf: surf::Client) -> Self {
        HttpClient {
            surf,
            _ca_bundle: None,
        }
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

/// Writes the system bundle plus `extra` (DER) as one PEM file.
fn write_ca_bundle(extra: &[Vec<u8>]) -> Result<TempPath, Error> {
    let io = |e: std::io::Error| Error::Tls(format!("writing the CA bundle for curl: {e}"));
    let mut file = tempfile::Builder::new()
        .prefix("rtm-async-std-ca-")
        .suffix(".pem")
        .tempfile()
        .map_err(io)?;
    let probe = openssl_probe::probe();
    if let Some(system) = &probe.cert_file {
        match std::fs::read(system) {
            Ok(pem) => {
                file.write_all(&pem).map_err(io)?;
                file.write_all(b"\n").map_err(io)?;
            }
            Err(e) => tracing::warn!(path = %system.display(), error = %e,
                "cannot read the system CA bundle; the web call trusts only the extra roots \
                 (and curl's CA directory)"),
        }
    }
    for der in extra {
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
