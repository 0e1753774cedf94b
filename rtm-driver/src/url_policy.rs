//! Which URLs the client may connect to: TLS always, plain text only to loopback or on opt-in.
//!
//! Every URL is parsed once, with the `url` crate (the WHATWG parser that reqwest, surf and
//! tungstenite's `url` support use), and the parsed [`Url`] is what the connector dials: the
//! policy and the transport cannot disagree about the host. (A hand-written host reader once
//! saw `127.0.0.1` in `http://attacker.invalid\@127.0.0.1/`, where the HTTP client dialled
//! `attacker.invalid`.)
//!
//! This is transport policy (what a connector may be asked to dial), not protocol, so it lives
//! here and not in `rtm-proto`.

use url::{Host, Url};

use crate::error::Error;

/// What a URL is for: its secure and plain schemes, and whether it may be quoted in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The Web API base URL (`https`, or `http` to loopback); the user's, so quotable.
    Api,
    /// A WebSocket URL from `rtm.connect` (`wss`, or `ws` to loopback). It holds a ticket (a
    /// short-lived credential), so errors name only its scheme and host.
    Socket,
}

impl Kind {
    fn schemes(self) -> (&'static str, &'static str) {
        match self {
            Kind::Api => ("https", "http"),
            Kind::Socket => ("wss", "ws"),
        }
    }
}

/// Parses `url` and checks it; the returned value is the one to dial.
pub(crate) fn check(url: &str, kind: Kind, allow_insecure: bool) -> Result<Url, Error> {
    let (secure, plain) = kind.schemes();
    let invalid = |reason: String| Error::InvalidUrl {
        reason: match kind {
            Kind::Api => format!("{}: {reason}", quote(url)),
            Kind::Socket => format!("WebSocket URL: {reason}"),
        },
    };
    let parsed = Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    let scheme = parsed.scheme();
    if scheme != secure && scheme != plain {
        return Err(invalid(format!(
            "scheme {scheme:?} is not {secure:?} or {plain:?}"
        )));
    }
    let Some(host) = parsed.host() else {
        return Err(invalid("no host".to_owned()));
    };
    if scheme == plain && !allow_insecure && !is_loopback(&host) {
        return Err(Error::InsecureUrl {
            scheme: scheme.to_owned(),
            host: host.to_string(),
        });
    }
    Ok(parsed)
}

/// Whether the parsed host is a loopback IP literal or `localhost` (which resolvers map to
/// loopback, RFC 6761), exactly: not `localhost.example.com` nor `127.0.0.1.example.com`.
fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => {
            let d = d.strip_suffix('.').unwrap_or(d);
            d.eq_ignore_ascii_case("localhost")
        }
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// The value for an error message, without any userinfo (it may be a password).
fn quote(url: &str) -> String {
    let shown: String = url.chars().take(200).collect();
    match (shown.find("://"), shown.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            format!("{:?}", format!("{}://***{}", &shown[..start], &shown[at..]))
        }
        _ => format!("{shown:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the policy decides for one URL.
    #[derive(Debug, PartialEq, Eq)]
    enum Verdict {
        /// Allowed; the host the transport dials.
        Dial(&'static str),
        /// Refused as insecure; the host it saw.
        Insecure(&'static str),
        Invalid,
    }
    use Verdict::*;

    fn verdict(url: &str, kind: Kind) -> Result<String, Error> {
        check(url, kind, false).map(|u| u.host_str().unwrap_or_default().to_owned())
    }

    fn assert_table(kind: Kind, table: &[(&str, Verdict)]) {
        for (url, want) in table {
            let got = verdict(url, kind);
            match (want, &got) {
                (Dial(h), Ok(host)) if host == h => {}
                (Insecure(h), Err(Error::InsecureUrl { host, .. })) if host == h => {
                    let msg = got.as_ref().unwrap_err().to_string();
                    assert!(msg.contains(h) && msg.contains("allow_insecure"), "{msg}");
                }
                (Invalid, Err(Error::InvalidUrl { .. })) => {}
                _ => panic!("{url} ({kind:?}): want {want:?}, got {got:?}"),
            }
        }
    }

    /// The table, for the API URL: each as reqwest/surf would dial it.
    #[test]
    fn api_url_table() {
        assert_table(
            Kind::Api,
            &[
                // `\` ends the authority (WHATWG): the host is attacker.invalid.
                (
                    "http://attacker.invalid\\@127.0.0.1/",
                    Insecure("attacker.invalid"),
                ),
                (
                    "http://127.0.0.1@attacker.invalid/",
                    Insecure("attacker.invalid"),
                ),
                (
                    "http://127.0.0.1.attacker.invalid/",
                    Insecure("127.0.0.1.attacker.invalid"),
                ),
                (
                    "http://localhost.attacker.invalid/",
                    Insecure("localhost.attacker.invalid"),
                ),
                (
                    "http://[::ffff:203.0.113.5]/",
                    Insecure("[::ffff:cb00:7105]"),
                ),
                // The parser reads it as 127.0.0.1, and that is what is dialled.
                ("http://0x7f000001/", Dial("127.0.0.1")),
                (
                    "http://0x7f000001.attacker.invalid/",
                    Insecure("0x7f000001.attacker.invalid"),
                ),
                ("HTTP://ATTACKER.INVALID/", Insecure("attacker.invalid")),
                ("HTTP://LOCALHOST:9/api/", Dial("localhost")),
                ("HTTPS://slack.com/api/", Dial("slack.com")),
                ("http://127.0.0.1:8080/api/", Dial("127.0.0.1")),
                ("http://127.3.4.5/", Dial("127.3.4.5")),
                ("http://localhost:8080/", Dial("localhost")),
                ("http://localhost./", Dial("localhost.")),
                ("http://[::1]:8080/", Dial("[::1]")),
                ("http://user:pw@127.0.0.1:5/", Dial("127.0.0.1")),
                ("http://10.0.0.1/", Insecure("10.0.0.1")),
                ("http://[::2]/", Insecure("[::2]")),
                ("https://slack.com/api/", Dial("slack.com")),
                ("ws://127.0.0.1/", Invalid),
                ("wss://slack.com/", Invalid),
                ("ftp://example.com/", Invalid),
                ("example.com", Invalid),
                ("http://", Invalid),
                ("http://exa mple.com/", Invalid),
                ("http://[::1/", Invalid),
            ],
        );
    }

    /// The same table for WebSocket URLs (`rtm.connect`'s `url`).
    #[test]
    fn socket_url_table() {
        assert_table(
            Kind::Socket,
            &[
                (
                    "ws://attacker.invalid\\@127.0.0.1/",
                    Insecure("attacker.invalid"),
                ),
                (
                    "ws://127.0.0.1@attacker.invalid/",
                    Insecure("attacker.invalid"),
                ),
                (
                    "ws://127.0.0.1.attacker.invalid/",
                    Insecure("127.0.0.1.attacker.invalid"),
                ),
                (
                    "ws://localhost.attacker.invalid/",
                    Insecure("localhost.attacker.invalid"),
                ),
                ("ws://[::ffff:203.0.113.5]/", Insecure("[::ffff:cb00:7105]")),
                ("ws://0x7f000001/", Dial("127.0.0.1")),
                ("WS://ATTACKER.INVALID/", Insecure("attacker.invalid")),
                ("WS://LOCALHOST./", Dial("localhost.")),
                (
                    "WSS://wss-primary.slack.com/link/?ticket=1",
                    Dial("wss-primary.slack.com"),
                ),
                (
                    "wss://attacker.invalid\\@127.0.0.1/",
                    Dial("attacker.invalid"),
                ),
                ("ws://127.0.0.1:8080/ws", Dial("127.0.0.1")),
                ("ws://localhost:1", Dial("localhost")),
                ("ws://[::1]:9/x", Dial("[::1]")),
                // Special schemes skip extra slashes: the host is `path`.
                ("ws:///path", Insecure("path")),
                ("http://127.0.0.1/", Invalid),
                ("https://slack.com/", Invalid),
                ("example.com", Invalid),
            ],
        );
    }

    #[test]
    fn opting_in_allows_any_host_but_not_any_scheme() {
        for url in ["ws://example.com/ws", "ws://attacker.invalid\\@127.0.0.1/"] {
            assert!(check(url, Kind::Socket, true).is_ok(), "{url}");
        }
        assert!(check("ftp://example.com/", Kind::Api, true).is_err());
    }

    /// The dialled value is the parsed one: its serialisation is unambiguous.
    #[test]
    fn the_parsed_value_is_canonical() {
        let url = check("http://attacker.invalid\\@127.0.0.1/", Kind::Api, true).unwrap();
        assert_eq!(url.as_str(), "http://attacker.invalid/@127.0.0.1/");
        assert_eq!(url.host_str(), Some("attacker.invalid"));
    }

    #[test]
    fn errors_name_the_value_but_not_secrets() {
        let err = check("http//slack.com", Kind::Api, false).unwrap_err();
        assert!(err.to_string().contains("\"http//slack.com\""), "{err}");
        let err = check("ftp://user:hunter2@example.com/", Kind::Api, false).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.to_string().contains("ftp"), "{err}");
        let err = check("ftp://example.com/?ticket=SECRET", Kind::Socket, false).unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }
}
