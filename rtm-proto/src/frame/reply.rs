//! Reading replies (`reply_to`) and `error` frames.

use serde::Deserialize;
use serde_json::Value;

use crate::reply::Reply;
use crate::typed::ErrorBody;

/// The fields of a reply; read loosely, since a reply of an unexpected shape is still the
/// answer to its send.
#[derive(Deserialize)]
struct ReplyBody {
    #[serde(default)]
    ok: Option<Value>,
    #[serde(default)]
    ts: Option<Value>,
    #[serde(default)]
    text: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

/// A reply's outcome: the reply, or Slack's error code and message.
pub(crate) fn reply(id: u64, raw: &str) -> Result<Reply, (i64, String)> {
    let body = match serde_json::from_str::<ReplyBody>(raw) {
        Ok(body) => body,
        // The frame parsed as a JSON object before, so this cannot happen; still a reply.
        Err(e) => return Err((0, format!("unreadable reply: {e}"))),
    };
    let error = body.error.filter(|e| !e.is_null());
    // `ok` decides; without it, an `error` means failure.
    let failed = match (&body.ok, &error) {
        (Some(Value::Bool(ok)), _) => !ok,
        (_, error) => error.is_some(),
    };
    if failed {
        return Err(match error {
            Some(Value::Object(e)) => (
                e.get("code").and_then(Value::as_i64).unwrap_or(0),
                e.get("msg")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            ),
            Some(Value::String(s)) => (0, s),
            Some(other) => (0, other.to_string()),
            None => (0, String::new()),
        });
    }
    Ok(Reply {
        id,
        ts: match body.ts {
            Some(Value::String(s)) => Some(s),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        },
        text: match body.text {
            Some(Value::String(s)) => Some(s),
            _ => None,
        },
        raw: raw.to_owned(),
    })
}

#[derive(Deserialize)]
struct ErrorFrameBody {
    error: Option<ErrorBody>,
}

/// The code and message of an `error` frame.
pub(crate) fn error_frame(raw: &str) -> (i64, String) {
    match serde_json::from_str::<ErrorFrameBody>(raw) {
        Ok(ErrorFrameBody { error: Some(e) }) => (e.code, e.msg),
        _ => (0, "error frame without details".to_owned()),
    }
}
