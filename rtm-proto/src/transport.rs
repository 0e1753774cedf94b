//! Why the transport failed: a typed error the driver and its adapters build, and the core
//! carries (it decides on the description and `fatal` only, never on the cause).

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// Where in the transport a failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// Resolving the host or opening the TCP connection (refused, unreachable, reset).
    Connect,
    /// The TLS handshake (a certificate that fails verification, a protocol error).
    Tls,
    /// The HTTP exchange of a web call (a broken answer, a body that cannot be read).
    Http,
    /// The WebSocket handshake, or reading or writing an open WebSocket.
    WebSocket,
    /// The HTTP proxy (unreachable, or refusing the `CONNECT` tunnel).
    Proxy,
    /// The transport's own deadline passed.
    Timeout,
    /// A request the transport cannot make (a URL it cannot dial, a method name that would
    /// leave the API URL).
    Request,
    /// Anything else (including descriptions from clients that keep no typed cause).
    Other,
}

impl TransportErrorKind {
    /// A short name, for logs and recordings (`connect`, `tls`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            TransportErrorKind::Connect => "connect",
            TransportErrorKind::Tls => "tls",
            TransportErrorKind::Http => "http",
            TransportErrorKind::WebSocket => "websocket",
            TransportErrorKind::Proxy => "proxy",
            TransportErrorKind::Timeout => "timeout",
            TransportErrorKind::Request => "request",
            TransportErrorKind::Other => "other",
        }
    }

    /// The kind of a name from [`as_str`](Self::as_str); `Other` for an unknown name.
    pub fn from_name(name: &str) -> Self {
        [
            TransportErrorKind::Connect,
            TransportErrorKind::Tls,
            TransportErrorKind::Http,
            TransportErrorKind::WebSocket,
            TransportErrorKind::Proxy,
            TransportErrorKind::Timeout,
            TransportErrorKind::Request,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
        .unwrap_or(TransportErrorKind::Other)
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A transport failure: its [kind](TransportErrorKind), a one-line description (what the
/// core and the logs show), whether retrying cannot help, and the underlying error
/// (`std::io::Error`, the TLS, HTTP or WebSocket library's error), reachable through
/// [`source()`](std::error::Error::source).
///
/// Cheap to clone (the cause is shared), and compared by kind, description and `fatal`
/// only, so the core stays deterministic and comparable. Its `Display` and `Debug` show only
/// the description, which connectors write without tokens, `Authorization` headers or proxy
/// credentials; the cause is not rendered.
///
/// ```
/// use rtm_proto::{TransportError, TransportErrorKind};
///
/// let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// let e = TransportError::new(TransportErrorKind::Connect, "connection refused").with_source(io);
/// let cause = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<std::io::Error>());
/// assert_eq!(cause.map(|io| io.kind()), Some(std::io::ErrorKind::ConnectionRefused));
/// ```
#[derive(Clone)]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
    fatal: bool,
    source: Option<Arc<dyn StdError + Send + Sync + 'static>>,
}

impl TransportError {
    /// A failure worth retrying, of `kind`, without a cause.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
            fatal: false,
            source: None,
        }
    }

    /// A failure worth retrying (DNS, TCP, a dropped connection, ...), of kind `Other`.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Other, message)
    }

    /// A failure retrying cannot fix, of kind `Other`.
    pub fn fatal(message: impl Into<String>) -> Self {
        Self::retryable(message).with_fatal(true)
    }

    /// The same failure with `cause` as its [`source()`](std::error::Error::source).
    #[must_use]
    pub fn with_source(
        mut self,
        cause: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        self.source = Some(Arc::from(cause.into()));
        self
    }

    /// The same failure, of `kind`.
    #[must_use]
    pub fn with_kind(mut self, kind: TransportErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// The same failure, fatal (retrying cannot fix it) or not.
    #[must_use]
    pub fn with_fatal(mut self, fatal: bool) -> Self {
        self.fatal = fatal;
        self
    }

    /// Where it happened.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The one-line description.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether retrying cannot help.
    pub fn is_fatal(&self) -> bool {
        self.fatal
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

// By hand rather than with thiserror: its `#[source]` on a shared (`Arc`) cause would hand
// out the `Arc` itself, which callers cannot downcast to the `std::io::Error` inside.
impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|cause| cause as &(dyn StdError + 'static))
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The cause is left out: it is the library's own rendering, which this crate cannot
        // vouch for (the description is what connectors write without secrets).
        f.debug_struct("TransportError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("fatal", &self.fatal)
            .finish_non_exhaustive()
    }
}

impl PartialEq for TransportError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.message == other.message && self.fatal == other.fatal
    }
}

impl Eq for TransportError {}

impl From<String> for TransportError {
    fn from(message: String) -> Self {
        Self::retryable(message)
    }
}

impl From<&str> for TransportError {
    fn from(message: &str) -> Self {
        Self::retryable(message)
    }
}
