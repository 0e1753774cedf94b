//! Reading the answer of `rtm.connect` / `rtm.start`.

use std::time::Duration;

use serde::Deserialize;

use crate::error::RtmError;
use crate::event::ConnectInfo;
use crate::input::WebResponse;

#[derive(Deserialize)]
struct Body {
    ok: bool,
    error: Option<String>,
    url: Option<String>,
    #[serde(rename = "self")]
    me: Option<Identity>,
    team: Option<Team>,
}

#[derive(Deserialize)]
struct Identity {
    id: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct Team {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    domain: String,
}

/// `Retry-After` in seconds (Slack sends an integer; fractions and HTTP dates are tolerated
/// as far as they can be: a date is not, and counts as absent).
pub(crate) fn retry_after(value: Option<&str>) -> Option<Duration> {
    let v = value?.trim();
    let secs: f64 = v.parse().ok()?;
    if secs.is_finite() && secs >= 0.0 {
        Duration::try_from_secs_f64(secs.min(86_400.0)).ok()
    } else {
        None
    }
}

/// Why a Web API answer's HTTP status is not the 200 that carries a body, as every web call
/// of both protocols reads it.
pub(crate) enum HttpFailure {
    /// 429: wait at least the `Retry-After`.
    RateLimited(Option<Duration>),
    /// 3xx: Slack's API never redirects; following one would send the token elsewhere.
    Redirect {
        status: u16,
        location: Option<String>,
    },
    /// Any other status.
    Status(u16),
}

/// `None` for a 200.
pub(crate) fn http_failure(resp: &WebResponse) -> Option<HttpFailure> {
    match resp.status {
        200 => None,
        429 => Some(HttpFailure::RateLimited(retry_after(
            resp.retry_after.as_deref(),
        ))),
        status @ 300..=399 => Some(HttpFailure::Redirect {
            status,
            location: resp.location.clone(),
        }),
        status => Some(HttpFailure::Status(status)),
    }
}

/// The session's identity, or why there is none.
pub(crate) fn read(resp: WebResponse) -> Result<ConnectInfo, RtmError> {
    if let Some(failure) = http_failure(&resp) {
        return Err(match failure {
            HttpFailure::RateLimited(retry_after) => RtmError::RateLimited { retry_after },
            HttpFailure::Redirect { status, location } => RtmError::Redirect { status, location },
            HttpFailure::Status(status) => RtmError::Http { status },
        });
    }
    let body: Body = serde_json::from_str(&resp.body).map_err(|e| RtmError::BadResponse {
        detail: format!("not the JSON of rtm.connect: {e}"),
    })?;
    if !body.ok {
        return Err(RtmError::Platform {
            error: body.error.unwrap_or_else(|| "unknown_error".to_owned()),
        });
    }
    let missing = |what: &str| RtmError::BadResponse {
        detail: format!("ok answer without {what}"),
    };
    let url = body.url.ok_or_else(|| missing("url"))?;
    // Schemes are case-insensitive (RFC 3986); the transport's URL policy decides the rest.
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("wss" | "ws")) {
        return Err(RtmError::BadResponse {
            detail: "the url is not a WebSocket URL".to_owned(),
        });
    }
    let me = body.me.ok_or_else(|| missing("self"))?;
    let team = body.team.ok_or_else(|| missing("team"))?;
    Ok(ConnectInfo {
        url,
        self_id: me.id,
        self_name: me.name,
        team_id: team.id,
        team_name: team.name,
        team_domain: team.domain,
        body: resp.body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> WebResponse {
        WebResponse {
            status,
            retry_after: None,
            location: None,
            body: body.to_owned(),
        }
    }

    #[test]
    fn reads_the_documented_success_body() {
        let info = read(resp(200, r#"{"ok":true,"url":"wss://x/y","self":{"id":"U4X318ZMZ","name":"robotoverlord"},"team":{"id":"T2U81E2FP","name":"SlackDemo","domain":"slackdemo"}}"#)).unwrap();
        assert_eq!(info.self_id, "U4X318ZMZ");
        assert_eq!(info.team_domain, "slackdemo");
        assert_eq!(info.url, "wss://x/y");
    }

    #[test]
    fn classifies_failures() {
        assert_eq!(
            read(resp(200, r#"{"ok":false,"error":"invalid_auth"}"#)),
            Err(RtmError::Platform {
                error: "invalid_auth".into()
            })
        );
        let mut r = resp(429, r#"{"ok":false,"error":"ratelimited"}"#);
        r.retry_after = Some("7".into());
        assert_eq!(
            read(r),
            Err(RtmError::RateLimited {
                retry_after: Some(Duration::from_secs(7))
            })
        );
        assert_eq!(read(resp(503, "")), Err(RtmError::Http { status: 503 }));
        // A redirect is not followed and ends the attempt; so does a proxy's 407.
        let mut r = resp(302, "");
        r.location = Some("https://elsewhere.invalid/api/rtm.connect".into());
        let e = read(r).unwrap_err();
        assert_eq!(
            e,
            RtmError::Redirect {
                status: 302,
                location: Some("https://elsewhere.invalid/api/rtm.connect".into())
            }
        );
        assert!(!e.is_recoverable());
        assert!(!read(resp(407, "")).unwrap_err().is_recoverable());
        assert!(read(resp(503, "")).unwrap_err().is_recoverable());
        assert!(matches!(
            read(resp(200, "<html>")),
            Err(RtmError::BadResponse { .. })
        ));
        assert!(matches!(
            read(resp(
                200,
                r#"{"ok":true,"url":"https://x","self":{"id":"U"},"team":{"id":"T"}}"#
            )),
            Err(RtmError::BadResponse { .. })
        ));
        assert_eq!(retry_after(Some("soon")), None);
        assert_eq!(retry_after(Some("-1")), None);
    }
}
