//! The shared transport error: its cause is reachable through `source()` from every error
//! that carries it, and never rendered (it may come from a library that prints secrets).

use std::error::Error as _;
use std::io;

use rtm_proto::{ApiError, RtmError, SocketModeError, TransportError, TransportErrorKind};

const SECRET: &str = "xoxb-transport-secret";

/// An underlying error whose own text holds a secret, as a careless library's might.
fn leaky_cause() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionRefused,
        format!("refused; request had Authorization: Bearer {SECRET}"),
    )
}

fn refused() -> TransportError {
    TransportError::new(TransportErrorKind::Connect, "connection refused")
        .with_source(leaky_cause())
}

fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<io::ErrorKind> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        cur = err.source();
    }
    None
}

#[test]
fn the_cause_is_the_source_and_survives_clones_and_changes() {
    let e = refused();
    assert_eq!(io_kind(&e), Some(io::ErrorKind::ConnectionRefused));
    let changed = e
        .clone()
        .with_fatal(true)
        .with_kind(TransportErrorKind::Tls);
    assert!(changed.is_fatal());
    assert_eq!(changed.kind(), TransportErrorKind::Tls);
    assert_eq!(io_kind(&changed), Some(io::ErrorKind::ConnectionRefused));
    assert!(TransportError::retryable("x").source().is_none());
}

#[test]
fn equality_ignores_the_cause() {
    let bare = TransportError::new(TransportErrorKind::Connect, "connection refused");
    assert_eq!(refused(), bare);
    assert_ne!(refused(), bare.clone().with_fatal(true));
    assert_ne!(refused(), bare.with_kind(TransportErrorKind::Other));
}

#[test]
fn display_and_debug_show_the_description_never_the_cause() {
    let e = refused();
    assert_eq!(e.to_string(), "connection refused");
    let debug = format!("{e:?}");
    assert!(
        debug.contains("Connect") && debug.contains("connection refused"),
        "{debug}"
    );
    for text in [e.to_string(), debug, format!("{e:#?}")] {
        assert!(!text.contains(SECRET), "{text}");
    }
    let rtm = RtmError::RetriesExhausted {
        attempts: 1,
        last: Box::new(RtmError::Request { error: e.clone() }),
    };
    for text in [rtm.to_string(), format!("{rtm:?}")] {
        assert!(!text.contains(SECRET), "{text}");
    }
}

#[test]
fn every_error_that_carries_it_leads_to_the_cause() {
    let e = refused();
    let rtm = [
        RtmError::Request { error: e.clone() },
        RtmError::Websocket { error: e.clone() },
        RtmError::Transport { error: e.clone() },
        RtmError::RetriesExhausted {
            attempts: 3,
            last: Box::new(RtmError::Request { error: e.clone() }),
        },
    ];
    for err in &rtm {
        assert_eq!(
            io_kind(err),
            Some(io::ErrorKind::ConnectionRefused),
            "{err}"
        );
    }
    let sm = [
        SocketModeError::Request { error: e.clone() },
        SocketModeError::Websocket { error: e.clone() },
        SocketModeError::Transport { error: e.clone() },
        SocketModeError::RetriesExhausted {
            attempts: 2,
            last: Box::new(SocketModeError::Websocket { error: e.clone() }),
        },
    ];
    for err in &sm {
        assert_eq!(
            io_kind(err),
            Some(io::ErrorKind::ConnectionRefused),
            "{err}"
        );
    }
    let api = ApiError::Transport {
        method: "chat.postMessage".into(),
        error: e,
    };
    assert_eq!(io_kind(&api), Some(io::ErrorKind::ConnectionRefused));
    assert!(!api.to_string().contains(SECRET));
}

#[test]
fn kinds_have_stable_names() {
    for kind in [
        TransportErrorKind::Connect,
        TransportErrorKind::Tls,
        TransportErrorKind::Http,
        TransportErrorKind::WebSocket,
        TransportErrorKind::Proxy,
        TransportErrorKind::Timeout,
        TransportErrorKind::Request,
        TransportErrorKind::Other,
    ] {
        assert_eq!(TransportErrorKind::from_name(kind.as_str()), kind);
    }
    assert_eq!(
        TransportErrorKind::from_name("new-kind"),
        TransportErrorKind::Other
    );
}
