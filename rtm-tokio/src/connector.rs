//! The tokio [`Connector`]: reqwest for the web call, tokio-tungstenite for the WebSocket.
//! It only moves bytes: the URL policy, proxy selection and the `CONNECT` handshake are
//! rtm-driver's ([`Proxies`], [`Tunnel`]).

use std::sync::{Arc, OnceLock};

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
compile_error!("rtm-tokio needs feature `rustls` (default) or `native-tls`");

#[cfg(feature = "rustls")]
use rtm_driver::tls;
use rtm_driver::{
    BoxFuture, Connector, Error, Proxies, TransportError, TransportErrorKind, TransportOptions,
    Url, WebRequest, WebResponse, WebSocketConfig, connect_error, transport_error,
    websocket_handshake_error,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Opens the connections of a session on tokio.
#[derive(Debug, Clone)]
pub struct TokioConnector {
    http: reqwest::Client,
    tls: Tls,
    proxies: Arc<Proxies>,
}

/// The WebSocket's TLS: rustls (feature `rustls`, preferred) or the platform's library.
#[derive(Clone)]
enum Tls {
    #[cfg(feature = "rustls")]
    Rustls(Arc<rustls::ClientConfig>),
    #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
    Native(native_tls::TlsConnector),
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            #[cfg(feature = "rustls")]
            Tls::Rustls(_) => f.write_str("Rustls"),
            #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
            Tls::Native(_) => f.write_str("NativeTls"),
        }
    }
}

impl Tls {
    fn connector(&self) -> tokio_tungstenite::Connector {
        match self {
            #[cfg(feature = "rustls")]
            Tls::Rustls(config) => tokio_tungstenite::Connector::Rustls(config.clone()),
            #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
            Tls::Native(c) => tokio_tungstenite::Connector::NativeTls(c.clone()),
        }
    }
}

impl TokioConnector {
    /// A connector whose connections trust the default roots (the system's store with
    /// feature `native-roots`, the default; the webpki roots with feature `webpki-roots`)
    /// plus `options.extra_root_certs`, through `options`' proxy if any.
    /// With default options, every connector shares one HTTP client and TLS configuration
    /// (each costs tens of KiB, which would dominate an idle client's memory).
    pub fn new(options: &TransportOptions) -> Result<Self, Error> {
        static SHARED: OnceLock<TokioConnector> = OnceLock::new();
        if *options == TransportOptions::default() {
            if let Some(shared) = SHARED.get() {
                return Ok(shared.clone());
            }
            let connector = Self::build(options)?;
            return Ok(SHARED.get_or_init(|| connector).clone());
        }
        Self::build(options)
    }

    fn build(options: &TransportOptions) -> Result<Self, Error> {
        let proxies = Arc::new(Proxies::from_options(options)?);
        let (mut http, tls) = tls_setup(reqwest::Client::builder(), options)?;
        http = http
            // Slack's API never redirects; a redirect is reported, never followed with the
            // token (see `web_call`).
            .redirect(reqwest::redirect::Policy::none())
            .tcp_nodelay(true);
        http = if proxies.is_none() {
            // Never reqwest's own reading of the environment: the socket would not follow it.
            http.no_proxy()
        } else {
            let chosen = proxies.clone();
            http.proxy(reqwest::Proxy::custom(move |url| {
                chosen.for_url(url).map(|p| p.url_with_credentials())
            }))
        };
        let http = http
            .build()
            .map_err(|e| Error::Transport(format!("HTTP client: {e}")))?;
        Ok(TokioConnector { http, tls, proxies })
    }

    /// Uses this HTTP client for the web call instead (its TLS, proxy and redirect settings
    /// then apply to the web call; configure it not to follow redirects).
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }
}

/// The same TLS for both connections: the shared rustls configuration (roots, provider,
/// extra roots) for reqwest and the WebSocket.
#[cfg(feature = "rustls")]
fn tls_setup(
    http: reqwest::ClientBuilder,
    options: &TransportOptions,
) -> Result<(reqwest::ClientBuilder, Tls), Error> {
    let config = tls::client_config(options)?;
    Ok((
        http.tls_backend_preconfigured(config.clone()),
        Tls::Rustls(Arc::new(config)),
    ))
}

/// The same TLS for both connections: the platform's library and store, plus extra roots.
#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
fn tls_setup(
    mut http: reqwest::ClientBuilder,
    options: &TransportOptions,
) -> Result<(reqwest::ClientBuilder, Tls), Error> {
    let bad = |e: &dyn std::fmt::Display| Error::Tls(format!("extra root certificate: {e}"));
    let mut ws = native_tls::TlsConnector::builder();
    http = http.tls_backend_native();
    for der in &options.extra_root_certs {
        ws.add_root_certificate(native_tls::Certificate::from_der(der).map_err(|e| bad(&e))?);
        http = http.add_root_certificate(reqwest::Certificate::from_der(der).map_err(|e| bad(&e))?);
    }
    let ws = ws.build().map_err(|e| Error::Tls(e.to_string()))?;
    Ok((http, Tls::Native(ws)))
}

/// Opens TCP to `url`'s host and port, directly or through a `CONNECT` tunnel.
async fn dial(url: &Url, proxies: &Proxies) -> Result<TcpStream, TransportError> {
    let tcp = match proxies.for_url(url) {
        None => {
            let host = url.host_str().ok_or("the URL has no host")?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let port = url.port_or_known_default().ok_or("the URL has no port")?;
            TcpStream::connect((host, port))
                .await
                .map_err(connect_error)?
        }
        Some(proxy) => {
            let mut tunnel = proxy.tunnel(url)?;
            tracing::debug!(%proxy, "opening a CONNECT tunnel");
            let mut tcp = TcpStream::connect(proxy.addr())
                .await
                .map_err(|e| proxy.unreachable(e))?;
            tcp.write_all(tunnel.request())
                .await
                .map_err(connect_error)?;
            // One byte at a time: nothing past the proxy's answer may be consumed.
            let mut byte = [0u8; 1];
            loop {
                if tcp.read(&mut byte).await.map_err(connect_error)? == 0 {
                    return Err(format!("proxy {proxy} closed the connection").into());
                }
                if tunnel.read(&byte)? {
                    break;
                }
            }
            tcp
        }
    };
    // Small frames, latency-bound: never wait to coalesce.
    tcp.set_nodelay(true).map_err(connect_error)?;
    Ok(tcp)
}

impl Connector for TokioConnector {
    type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

    fn web_call(&self, request: WebRequest) -> BoxFuture<Result<WebResponse, TransportError>> {
        let host = request.url.host_str().unwrap_or_default().to_owned();
        let sent = self
            .http
            .post(request.url)
            .bearer_auth(request.token.expose())
            .form(&request.form)
            .send();
        Box::pin(async move {
            let response = sent
                .await
                .map_err(|e| transport_error(http_kind(&e), e, &host))?;
            let status = response.status().as_u16();
            // A redirect is reported, not followed; the core ends the attempt for good.
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response
                .text()
                .await
                .map_err(|e| transport_error(http_kind(&e), e, &host))?;
            Ok(WebResponse {
                status,
                retry_after,
                location,
                body,
            })
        })
    }

    fn open_websocket(
        &self,
        url: Url,
        config: WebSocketConfig,
    ) -> BoxFuture<Result<Self::Socket, TransportError>> {
        let connector = self.tls.connector();
        let proxies = self.proxies.clone();
        Box::pin(async move {
            let host = url.host_str().unwrap_or_default().to_owned();
            let tcp = dial(&url, &proxies).await?;
            // The request is the parsed URL's canonical form: the Host header, the TLS name
            // and the path are read from the value the policy checked.
            let request = url
                .as_str()
                .into_client_request()
                .map_err(|e| transport_error(TransportErrorKind::Request, e, &host))?;
            let (socket, _response) = tokio_tungstenite::client_async_tls_with_config(
                request,
                tcp,
                Some(config),
                Some(connector),
            )
            .await
            .map_err(|e| websocket_handshake_error(e, &host))?;
            Ok(socket)
        })
    }
}

/// The kind of a failed web call: connecting (DNS, TCP, TLS under it), its timeout, or HTTP.
fn http_kind(e: &reqwest::Error) -> TransportErrorKind {
    if e.is_connect() {
        TransportErrorKind::Connect
    } else if e.is_timeout() {
        TransportErrorKind::Timeout
    } else {
        TransportErrorKind::Http
    }
}
