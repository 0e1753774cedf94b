//! Which URLs the client may connect to: TLS always, plain text only to loopback or on opt-in.
//!
//! This is transport policy (what a connector may be asked to dial), not protocol, so it lives
//! here and not in `rtm-proto`.

use std::net::IpAddr;

use crate::error::Error;

/// Whether the URL may be used. `secure`/`plain` are the schemes of its kind
/// (`https`/`http` for the Web API, `wss`/`ws` for the socket).
pub(crate) fn check(
    url: &str,
    secure: &str,
    plain: &str,
    allow_insecure: bool,
) -> Result<(), Error> {
    let invalid = |reason: &str| Error::InvalidUrl {
        reason: reason.to_owned(),
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(|| invalid("no scheme"))?;
    let scheme = scheme.to_ascii_lowercase();
    let host = host_of(rest).ok_or_else(|| invalid("no host"))?;
    if scheme == secure {
        return Ok(());
    }
    if scheme != plain {
        return Err(invalid(&format!(
            "scheme {scheme:?} is not {secure:?} or {plain:?}"
        )));
    }
    if allow_insecure || is_loopback(host) {
        return Ok(());
    }
    // Only the scheme and host: a socket URL is a short-lived credential.
    Err(Error::InsecureUrl {
        scheme,
        host: host.to_owned(),
    })
}

/// The host of `authority/path...`, without userinfo, port or IPv6 brackets.
fn host_of(rest: &str) -> Option<&str> {
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split_once(']')?.0
    } else {
        hostport.split(':').next()?
    };
    (!host.is_empty()).then_some(host)
}

fn is_loopback(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(url: &str, allow: bool) -> Result<(), Error> {
        check(url, "wss", "ws", allow)
    }

    #[test]
    fn tls_is_always_allowed() {
        assert!(ws("wss://wss-primary.slack.com/link/?ticket=1", false).is_ok());
        assert!(check("https://slack.com/api/", "https", "http", false).is_ok());
    }

    #[test]
    fn plain_text_only_to_loopback() {
        for ok in [
            "ws://127.0.0.1:8080/ws",
            "ws://127.3.4.5/",
            "ws://[::1]:9/x",
            "ws://localhost:1",
            "WS://LOCALHOST./",
            "ws://user:pw@127.0.0.1:5/",
        ] {
            assert!(ws(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "ws://example.com/ws",
            "ws://10.0.0.1/",
            "ws://localhost.evil.com/",
            "ws://127.0.0.1@evil.com/",
            "ws://[::2]/",
        ] {
            match ws(bad, false) {
                Err(Error::InsecureUrl { scheme, .. }) => assert_eq!(scheme, "ws"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(ws("ws://example.com/ws", true).is_ok());
    }

    #[test]
    fn nonsense_is_invalid() {
        for bad in [
            "example.com",
            "ftp://example.com/",
            "ws:///path",
            "http://x/",
        ] {
            assert!(
                matches!(ws(bad, true), Err(Error::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }
}
