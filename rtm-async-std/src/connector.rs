//! The async-std [`Connector`]: surf (curl) for the web call, async-tungstenite over
//! futures-rustls for the WebSocket.

use std::sync::Arc;

use async_std::net::TcpStream;
use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::client::IntoClientRequest;
use futures::{AsyncReadExt, AsyncWriteExt};
use rtm_driver::{
    BoxFuture, Connector, Error, Proxies, TransportError, TransportErrorKind, TransportOptions,
    Url, WebRequest, WebResponse, WebSocketConfig, connect_error, describe_error as describe, tls,
    transport_error, transport_error_from_description, websocket_handshake_error,
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
    proxies: Arc<Proxies>,
}

impl AsyncStdConnector {
    /// A connector with its own HTTP client. Both connections trust the system's store
    /// (the WebSocket through rustls-native-certs, the web call through curl and OpenSSL;
    /// both honour `SSL_CERT_FILE`) plus `options.extra_root_certs`, and both go through
    /// `options`' proxy, if any (the WebSocket in a `CONNECT` tunnel).
    pub fn new(options: &TransportOptions) -> Result<Self, Error> {
        // First: it checks that the extra roots are certificates.
        let tls = tls::client_config(options)?;
        let proxies = Arc::new(Proxies::from_options(options)?);
        Ok(AsyncStdConnector {
            http: HttpClient::new(options, proxies.clone())?,
            tls: Arc::new(tls),
            proxies,
        })
    }

    /// A connector whose web call goes through `http` (its backend, TLS and proxy settings
    /// apply); the WebSocket is set up as in [`AsyncStdConnector::new`].
    pub fn with_surf_client(options: &TransportOptions, http: surf::Client) -> Result<Self, Error> {
        Ok(AsyncStdConnector {
            http: HttpClient::from_surf(http),
            tls: Arc::new(tls::client_config(options)?),
            proxies: Arc::new(Proxies::from_options(options)?),
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

/// A surf error as a transport error, keeping it as the source: curl's certificate failures
/// are fatal. curl reports a refused connection or a timeout without an `std::io::Error`, so
/// one of that kind (`ConnectionRefused`, `TimedOut`) is put around isahc's error, as isahc
/// itself converts them.
fn surf_error(e: surf::Error, host: &str) -> TransportError {
    if let Some(isahc::Error::BadServerCertificate(detail)) = e.downcast_ref::<isahc::Error>() {
        let why = detail.clone().unwrap_or_else(|| {
            "curl and OpenSSL rejected the server's certificate (curl gives no detail: an \
             unknown issuer, an expired certificate or a name mismatch)"
                .to_owned()
        });
        return TransportError::new(
            TransportErrorKind::Tls,
            format!("TLS certificate verification failed for {host}: {why}"),
        )
        .with_fatal(true)
        .with_source(e.into_inner());
    }
    let text = describe_surf(&e);
    let (kind, io_kind) = match e.downcast_ref::<isahc::Error>() {
        Some(isahc::Error::ConnectFailed) => (
            TransportErrorKind::Connect,
            Some(std::io::ErrorKind::ConnectionRefused),
        ),
        Some(isahc::Error::CouldntResolveHost) => (TransportErrorKind::Connect, None),
        Some(isahc::Error::Timeout) => (
            TransportErrorKind::Timeout,
            Some(std::io::ErrorKind::TimedOut),
        ),
        _ => (TransportErrorKind::Http, None),
    };
    let error = transport_error_from_description(kind, text, host);
    let cause = e.into_inner();
    match (io_kind, cause.downcast::<isahc::Error>()) {
        (Some(io_kind), Ok(isahc)) => error.with_source(std::io::Error::new(io_kind, isahc)),
        (_, Ok(isahc)) => error.with_source(isahc),
        (_, Err(other)) => error.with_source(other),
    }
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

impl Connector for AsyncStdConnector {
    type Socket = WebSocketStream<MaybeTlsStream>;

    fn web_call(&self, request: WebRequest) -> BoxFuture<Result<WebResponse, TransportError>> {
        let http = self.http.for_url(&request.url);
        let call = async move {
            let http = http?;
            let host = request.url.host_str().unwrap_or_default().to_owned();
            let body = surf::Body::from_form(&request.form).map_err(|e| describe_surf(&e))?;
            let token = request.token.expose();
            // http-types panics on a non-ASCII header value, and isahc on a control character;
            // a bad token is an error for the core instead (never quoted: it is a secret).
            if !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err("the token has characters that cannot go in an HTTP header".into());
            }
            let mut outgoing = surf::Request::new(surf::http::Method::Post, request.url);
            outgoing.insert_header("Authorization", format!("Bearer {token}"));
            outgoing.set_body(body);
            let mut response = http
                .send(outgoing)
                .await
                .map_err(|e| surf_error(e, &host))?;
            let status = u16::from(response.status());
            // A redirect is reported, not followed; the core ends the attempt for good.
            let location = response
                .header("Location")
                .map(|v| v.last().as_str().to_owned());
            let retry_after = response
                .header("Retry-After")
                .map(|v| v.last().as_str().to_owned());
            let body = response
                .body_string()
                .await
                .map_err(|e| surf_error(e, &host))?;
            Ok(WebResponse {
                status,
                retry_after,
                location,
                body,
            })
        };
        // isahc turns curl's verbose output, outgoing headers included (the bearer token),
        // into trace events when a subscriber listens; it is only enabled inside a span some
        // subscriber wants, so running the call with no subscriber keeps the token out of logs.
        Box::pin(call.with_subscriber(tracing::Dispatch::none()))
    }

    fn open_websocket(
        &self,
        url: Url,
        config: WebSocketConfig,
    ) -> BoxFuture<Result<Self::Socket, TransportError>> {
        let tls = self.tls.clone();
        let proxies = self.proxies.clone();
        Box::pin(async move {
            let host = url.host_str().unwrap_or_default().to_owned();
            let secure = url.scheme() == "wss";
            let tcp = dial(&url, &proxies).await?;
            // The request is the parsed URL's canonical form: the Host header and the path
            // are read from the value the policy checked.
            let request = url
                .as_str()
                .into_client_request()
                .map_err(|e| transport_error(TransportErrorKind::Request, e, &host))?;
            // async-tungstenite wires futures-rustls to smol only, so the TLS layer is put
            // under the handshake here.
            let stream = if secure {
                let name = match url.host() {
                    Some(url::Host::Ipv4(ip)) => ServerName::from(std::net::IpAddr::V4(ip)),
                    Some(url::Host::Ipv6(ip)) => ServerName::from(std::net::IpAddr::V6(ip)),
                    _ => ServerName::try_from(host.clone()).map_err(|e| describe(&e))?,
                };
                let tls = futures_rustls::TlsConnector::from(tls)
                    .connect(name, tcp)
                    .await
                    .map_err(|e| transport_error(TransportErrorKind::Tls, e, &host))?;
                MaybeTlsStream::Tls(tls)
            } else {
                MaybeTlsStream::Plain(tcp)
            };
            let (socket, _response) =
                async_tungstenite::client_async_with_config(request, stream, Some(config))
                    .await
                    .map_err(|e| websocket_handshake_error(e, &host))?;
            Ok(socket)
        })
    }
}
