//! The tokio [`Connector`]: reqwest for the web call, tokio-tungstenite for the WebSocket.

use std::sync::{Arc, OnceLock};

use rtm_driver::{
    BoxFuture, Connector, Error, TransportOptions, WebRequest, WebResponse,
    describe_error as describe, tls, websocket_config as ws_config,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Opens the connections of a session on tokio.
#[derive(Debug, Clone)]
pub struct TokioConnector {
    http: reqwest::Client,
    tls: Arc<rustls::ClientConfig>,
}

impl TokioConnector {
    /// A connector whose connections trust the webpki roots plus `options.extra_root_certs`.
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
        let tls = tls::client_config(options)?;
        let mut http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls.clone())
            .tcp_nodelay(true);
        http = match &options.proxy {
            Some(url) => http.proxy(
                reqwest::Proxy::all(url).map_err(|e| Error::Transport(format!("proxy: {e}")))?,
            ),
            // Environment proxies would apply to the web call but not to the socket.
            None => http.no_proxy(),
        };
        let http = http
            .build()
            .map_err(|e| Error::Transport(format!("HTTP client: {e}")))?;
        Ok(TokioConnector {
            http,
            tls: Arc::new(tls),
        })
    }

    /// Uses this HTTP client for the web call instead.
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }
}

impl Connector for TokioConnector {
    type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

    fn web_call(&self, request: WebRequest) -> BoxFuture<Result<WebResponse, String>> {
        let sent = self
            .http
            .post(&request.url)
            .bearer_auth(request.token.expose())
            .form(&request.form)
            .send();
        Box::pin(async move {
            let response = sent.await.map_err(|e| describe(&e))?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response.text().await.map_err(|e| describe(&e))?;
            Ok(WebResponse {
                status,
                retry_after,
                body,
            })
        })
    }

    fn open_websocket(&self, url: String) -> BoxFuture<Result<Self::Socket, String>> {
        let tls = self.tls.clone();
        Box::pin(async move {
            let request = url.into_client_request().map_err(|e| describe(&e))?;
            let uri = request.uri();
            let host = uri.host().ok_or("WebSocket URL without host")?;
            let host = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
            let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("ws") {
                80
            } else {
                443
            });
            let tcp = TcpStream::connect((host.as_str(), port))
                .await
                .map_err(|e| describe(&e))?;
            // Small frames, latency-bound: never wait to coalesce.
            tcp.set_nodelay(true).map_err(|e| describe(&e))?;
            let connector = tokio_tungstenite::Connector::Rustls(tls);
            let (socket, _response) = tokio_tungstenite::client_async_tls_with_config(
                request,
                tcp,
                Some(ws_config()),
                Some(connector),
            )
            .await
            .map_err(|e| describe(&e))?;
            Ok(socket)
        })
    }
}
