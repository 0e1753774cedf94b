//! Reading the answer of `apps.connections.open`.

use serde::Deserialize;

use crate::connect::{HttpFailure, http_failure};
use crate::input::WebResponse;
use crate::socket_mode_wire::error::SocketModeError;

#[derive(Deserialize)]
struct Body {
    ok: bool,
    error: Option<String>,
    url: Option<String>,
}

/// The socket URL, with `&debug_reconnects=true` when asked; or why there is none.
pub(crate) fn read(resp: WebResponse, debug_reconnects: bool) -> Result<String, SocketModeError> {
    if let Some(failure) = http_failure(&resp) {
        return Err(match failure {
            HttpFailure::RateLimited(retry_after) => SocketModeError::RateLimited { retry_after },
            HttpFailure::Redirect { status, location } => {
                SocketModeError::Redirect { status, location }
            }
            HttpFailure::Status(status) => SocketModeError::Http { status },
        });
    }
    let body: Body =
        serde_json::from_str(&resp.body).map_err(|e| SocketModeError::BadResponse {
            detail: format!("not the JSON of apps.connections.open: {e}"),
        })?;
    if !body.ok {
        return Err(SocketModeError::Platform {
            error: body.error.unwrap_or_else(|| "unknown_error".to_owned()),
        });
    }
    let url = body.url.ok_or_else(|| SocketModeError::BadResponse {
        detail: "ok answer without url".to_owned(),
    })?;
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("wss" | "ws")) {
        return Err(SocketModeError::BadResponse {
            detail: "the url is not a WebSocket URL".to_owned(),
        });
    }
    if !debug_reconnects {
        return Ok(url);
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{sep}debug_reconnects=true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, location: Option<&str>) -> WebResponse {
        WebResponse {
            status,
            retry_after: None,
            location: location.map(str::to_owned),
            body: String::new(),
        }
    }

    #[test]
    fn a_redirect_or_a_proxys_407_ends_the_attempt_and_a_5xx_is_retried() {
        let e = read(resp(307, Some("https://elsewhere.invalid/")), false).unwrap_err();
        assert_eq!(
            e,
            SocketModeError::Redirect {
                status: 307,
                location: Some("https://elsewhere.invalid/".into())
            }
        );
        assert!(!e.is_recoverable());
        assert!(!read(resp(407, None), false).unwrap_err().is_recoverable());
        assert!(read(resp(503, None), false).unwrap_err().is_recoverable());
    }
}
