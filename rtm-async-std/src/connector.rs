//! The async-std [`Connector`]: surf (curl) for the web call, async-tungstenite over
//! futures-rustls for the WebSocket.

use std::sync::Arc;

use async_std::net::TcpStream;
use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::client::IntoClientRequest;
use rtm_driver::{
    BoxFuture, Connector, Error, TransportOptions, WebRequest, WebResponse,
    describe_error as describe, tls, websocket_config as ws_config,
};
use rustls::pki_types::ServerName;
use tracing::instrument::WithSubscriber;

use crate::http::HttpClient;

/// The socket under the WebSocket: plain TCP (loopback or opted in) or TLS.
pub type MaybeTlsStream =
    async_tungstenite::stream::Stream<TcpStream, futures_rustls::client::TlsStream<TcpStream>>;

/// Opens the connections of a session on async-std.
#[derive(Debug, Clone)]
pub struct AsyncStdConnector {
    http: HttpClient,
    tls: Arc<rustls::ClientConfig>,
}

impl AsyncStdConnector {
    /// A connector with its own HTTP client. The WebSocket trusts the webpki roots plus
    /// `options.extra_root_certs`; the web call (curl with OpenSSL) trusts the system's CA
    /// bundle plus `options.extra_root_certs`.
    pub fn new(options: &TransportOptions) -> Result<Self, Error> {
        // First: it checks that the extra roots are certificates.
        let tls = tls::client_config(options)?;
        Ok(AsyncStdConnector {
            http: HttpClient::new(options)?,
            tls: Arc::new(tls),
        })
    }

    /// A connector whose web call goes through `http` (its backend, TLS and proxy settings
    /// apply); the WebSocket is set up as in [`AsyncStdConnector::new`].
    pub fn with_surf_client(options: &TransportOptions, http: surf::Client) -> Result<Self, Error> {
        Ok(AsyncStdConnector {
            http: HttpClient::from_surf(http),
            tls: Arc::new(tls::client_config(options)?),
        })
    }

    /// Uses this surf client for the web call instead.
    pub fn with_http_client(mut self, http: surf::Client) -> Self {
        self.http = HttpClient::from_surf(http);
        self
    }
}

/// surf's error keeps its causes in an `anyhow` chain, which the alternate form prints.
fn describe_surf(e: &surf::Error) -> String {
    format!("{e:#}")
}

impl Connector for AsyncStdConnector {
    type Socket = WebSocketStream<MaybeTlsStream>;

    fn web_call(&self, request: WebRequest) -> BoxFuture<Result<WebResponse, String>> {
        let http = self.http.surf.clone();
        let call = async move {
            let url = surf::Url::parse(&request.url).map_err(|e| e.to_string())?;
            let body = surf::Body::from_form(&request.form).map_err(|e| describe_surf(&e))?;
            let token = request.token.expose();
            // http-types panics on a non-ASCII header value, and isahc on a control character;
            // a bad token is an error for the core instead (never quoted: it is a secret).
            if !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err("the token has characters that cannot go in an HTTP header".into());
            }
            let mut outgoing = surf::Request::new(surf::http::Method::Post, url);
            outgoing.insert_header("Authorization", format!("Bearer {token}"));
            outgoing.set_body(body);
            let mut response = http.send(outgoing).await.map_err(|e| describe_surf(&e))?;
            let status = u16::from(response.status());
            let retry_after = response
                .header("Retry-After")
                .map(|v| v.last().as_str().to_owned());
            let body = response
                .body_string()
                .await
                .map_err(|e| describe_surf(&e))?;
            Ok(WebResponse {
                status,
                retry_after,
                body,
            })
        };
        // isahc turns curl's verbose output, outgoing headers included (the bearer token),
        // into trace events when a subscriber listens; it is only enabled inside a span some
        // subscriber wants, so running the call with no subscriber keeps the token out of logs.
        Box::pin(call.with_subscriber(tracing::Dispatch::none()))
    }

    fn open_websocket(&self, url: String) -> BoxFuture<Result<Self::Socket, String>> {
        let tls = self.tls.clone();
        Box::pin(async move {
            let request = url.into_client_request().map_err(|e| describe(&e))?;
            let uri = request.uri();
            let secure = uri.scheme_str() != Some("ws");
            let host = uri.host().ok_or("WebSocket URL without host")?;
            let host = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
            let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
            let tcp = TcpStream::connect((host.as_str(), port))
                .await
                .map_err(|e| describe(&e))?;
            // Small frames, latency-bound: never wait to coalesce.
            tcp.set_nodelay(true).map_err(|e| describe(&e))?;
            // async-tungstenite wires futures-rustls to smol only, so the TLS layer is put
            // under the handshake here.
            let stream = if secure {
                let name = ServerName::try_from(host).map_err(|e| describe(&e))?;
                let tls = futures_rustls::TlsConnector::from(tls)
                    .connect(name, tcp)
                    .await
                    .map_err(|e| describe(&e))?;
                MaybeTlsStream::Tls(tls)
            } else {
                MaybeTlsStream::Plain(tcp)
            };
            let (socket, _response) =
                async_tungstenite::client_async_with_config(request, stream, Some(ws_config()))
                    .await
                    .map_err(|e| describe(&e))?;
            Ok(socket)
        })
    }
}
