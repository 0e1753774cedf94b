//! Reading the answer of `apps.connections.open`.

use serde::Deserialize;

use crate::socket_mode_wire::error::SocketModeError;
use crate::connect::retry_after;
use crate::input::WebResponse;

#[derive(Deserialize)]
struct Body {
    ok: bool,
    error: Option<String>,
    url: Option<String>,
}

/// The socket URL, with `&debug_reconnects=true` when asked; or why there is none.
pub(crate) fn read(resp: WebResponse, debug_reconnects: bool) -> Result<String, SocketModeError> {
    if resp.status == 429 {
        return Err(SocketModeError::RateLimited {
            retry_after: retry_after(resp.retry_after.as_deref()),
        });
    }
    if resp.status != 200 {
        return Err(SocketModeError::Http {
            status: resp.status,
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
