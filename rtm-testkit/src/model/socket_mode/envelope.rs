//! Socket Mode's wire shapes: `hello`, `disconnect`, envelopes and their payloads, and the
//! bookkeeping of one envelope (attempts, ack, where it stands).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::super::wire::obj;

/// The envelope types Slack sends; anything else is passed through as given.
pub mod kinds {
    /// An Events API event (`event_callback` payload).
    pub const EVENTS_API: &str = "events_api";
    /// A slash command (the command's form fields as payload).
    pub const SLASH_COMMANDS: &str = "slash_commands";
    /// An interactive payload (`block_actions`, shortcuts, view submissions).
    pub const INTERACTIVE: &str = "interactive";
}

/// Where an envelope stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Due, but the app has no connection to take it: sent when one says `hello`.
    Queued,
    /// On the wire, waiting for its ack.
    Outstanding,
    Acked,
    /// Not acked after the last retry: Slack gives up.
    Abandoned,
}

/// One envelope and its delivery attempts (the envelope id stays the same across retries).
#[derive(Debug, Clone)]
pub(crate) struct Envelope {
    pub(crate) id: String,
    pub(crate) app_id: String,
    pub(crate) kind: String,
    /// The payload as JSON text (kept as text so Slack's field order survives).
    pub(crate) payload: String,
    pub(crate) accepts_response_payload: bool,
    /// 0 for the first delivery, then 1, 2, 3.
    pub(crate) attempt: u32,
    pub(crate) retry_reason: &'static str,
    pub(crate) delivery: Delivery,
}

impl Envelope {
    /// The frame for the current attempt.
    pub(crate) fn frame(&self) -> String {
        format!(
            r#"{{"envelope_id":{},"payload":{},"type":{},"accepts_response_payload":{},"retry_attempt":{},"retry_reason":{}}}"#,
            Value::from(self.id.as_str()),
            self.payload,
            Value::from(self.kind.as_str()),
            self.accepts_response_payload,
            self.attempt,
            Value::from(self.retry_reason),
        )
    }
}

/// What Slack tells about a connection in `hello` and `disconnect`.
pub(crate) struct HelloInfo<'a> {
    pub(crate) num_connections: usize,
    pub(crate) host: &'a str,
    pub(crate) build_number: u64,
    pub(crate) approximate_connection_time_secs: u64,
    pub(crate) app_id: &'a str,
}

pub(crate) fn hello(h: &HelloInfo<'_>) -> String {
    obj(&[
        ("type", "hello".into()),
        ("num_connections", h.num_connections.into()),
        (
            "debug_info",
            json!({
                "host": h.host,
                "build_number": h.build_number,
                "approximate_connection_time": h.approximate_connection_time_secs,
            }),
        ),
        ("connection_info", json!({"app_id": h.app_id})),
    ])
}

/// `disconnect` reasons Slack sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisconnectReason {
    /// The connection will be refreshed in about 10 seconds.
    Warning,
    /// Reconnect now: Slack closes this socket soon.
    RefreshRequested,
    /// Socket Mode was turned off for the app: do not reconnect.
    LinkDisabled,
}

impl DisconnectReason {
    /// The `reason` of the `disconnect` frame.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::Warning => "warning",
            DisconnectReason::RefreshRequested => "refresh_requested",
            DisconnectReason::LinkDisabled => "link_disabled",
        }
    }
}

pub(crate) fn disconnect(reason: DisconnectReason, host: &str) -> String {
    obj(&[
        ("type", "disconnect".into()),
        ("reason", reason.as_str().into()),
        ("debug_info", json!({"host": host})),
    ])
}

/// The `event_callback` payload of an `events_api` envelope around one event (JSON text).
pub(crate) struct EventCallback<'a> {
    pub(crate) team_id: &'a str,
    pub(crate) api_app_id: &'a str,
    pub(crate) bot_user_id: &'a str,
    pub(crate) event: &'a str,
    pub(crate) event_id: &'a str,
    pub(crate) event_time: u64,
}

pub(crate) fn event_callback(e: &EventCallback<'_>) -> String {
    let authorizations = json!([{
        "enterprise_id": null, "team_id": e.team_id, "user_id": e.bot_user_id,
        "is_bot": true, "is_enterprise_install": false,
    }]);
    format!(
        r#"{{"token":"mock-verification-token","team_id":{},"api_app_id":{},"event":{},"type":"event_callback","event_id":{},"event_time":{},"authorizations":{},"is_ext_shared_channel":false}}"#,
        Value::from(e.team_id),
        Value::from(e.api_app_id),
        e.event,
        Value::from(e.event_id),
        e.event_time,
        authorizations,
    )
}

/// A slash command typed by a user, as the admin interface and tests describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlashCommand {
    /// With the slash, e.g. `/deploy`.
    pub command: String,
    /// What the user typed after the command.
    #[serde(default)]
    pub text: String,
    /// The user id of who typed it.
    pub user: String,
    /// The channel id it was typed in.
    pub channel: String,
    /// The app that owns the command; default: the workspace's first app.
    #[serde(default)]
    pub app_id: Option<String>,
}

impl SlashCommand {
    /// `command` (with its slash) and `text`, typed by `user` in `channel`, for the first app.
    pub fn new(command: &str, text: &str, user: &str, channel: &str) -> Self {
        SlashCommand {
            command: command.into(),
            text: text.into(),
            user: user.into(),
            channel: channel.into(),
            app_id: None,
        }
    }
}

/// A click on a button of a message, sent as a `block_actions` interactive payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockAction {
    /// The button's `action_id`.
    pub action_id: String,
    /// The button's `value`.
    #[serde(default)]
    pub value: String,
    /// The `block_id` of the block holding the button (default `actions`).
    #[serde(default = "default_block_id")]
    pub block_id: String,
    /// The user id of who clicked.
    pub user: String,
    /// The channel id of the message.
    pub channel: String,
    /// The message holding the button; default: the channel's last message.
    #[serde(default)]
    pub message_ts: Option<String>,
    /// The app whose button it is; default: the workspace's first app.
    #[serde(default)]
    pub app_id: Option<String>,
}

fn default_block_id() -> String {
    "actions".into()
}

impl BlockAction {
    /// A click by `user` on the button `action_id` with `value`, on the last message of
    /// `channel`, for the first app.
    pub fn button(action_id: &str, value: &str, user: &str, channel: &str) -> Self {
        BlockAction {
            action_id: action_id.into(),
            value: value.into(),
            block_id: default_block_id(),
            user: user.into(),
            channel: channel.into(),
            message_ts: None,
            app_id: None,
        }
    }
}

/// Names and ids a payload needs besides what the caller gave.
pub(crate) struct PayloadCtx<'a> {
    pub(crate) team_id: &'a str,
    pub(crate) team_domain: &'a str,
    pub(crate) app_id: &'a str,
    pub(crate) user_name: &'a str,
    pub(crate) channel_name: &'a str,
    pub(crate) trigger_id: &'a str,
    pub(crate) response_url: &'a str,
}

/// A slash command's form fields, as JSON (Socket Mode sends them so).
pub(crate) fn slash_command_payload(c: &SlashCommand, x: &PayloadCtx<'_>) -> String {
    obj(&[
        ("token", "mock-verification-token".into()),
        ("team_id", x.team_id.into()),
        ("team_domain", x.team_domain.into()),
        ("channel_id", c.channel.as_str().into()),
        ("channel_name", x.channel_name.into()),
        ("user_id", c.user.as_str().into()),
        ("user_name", x.user_name.into()),
        ("command", c.command.as_str().into()),
        ("text", c.text.as_str().into()),
        ("api_app_id", x.app_id.into()),
        ("is_enterprise_install", "false".into()),
        ("response_url", x.response_url.into()),
        ("trigger_id", x.trigger_id.into()),
    ])
}

pub(crate) fn block_actions_payload(
    a: &BlockAction,
    message_ts: &str,
    action_ts: &str,
    x: &PayloadCtx<'_>,
) -> String {
    obj(&[
        ("type", "block_actions".into()),
        (
            "user",
            json!({"id": a.user, "username": x.user_name, "name": x.user_name, "team_id": x.team_id}),
        ),
        ("api_app_id", x.app_id.into()),
        ("token", "mock-verification-token".into()),
        (
            "container",
            json!({"type": "message", "message_ts": message_ts, "channel_id": a.channel, "is_ephemeral": false}),
        ),
        ("trigger_id", x.trigger_id.into()),
        ("team", json!({"id": x.team_id, "domain": x.team_domain})),
        ("channel", json!({"id": a.channel, "name": x.channel_name})),
        ("response_url", x.response_url.into()),
        (
            "actions",
            json!([{
                "action_id": a.action_id, "block_id": a.block_id,
                "text": {"type": "plain_text", "text": a.value, "emoji": true},
                "value": a.value, "type": "button", "action_ts": action_ts,
            }]),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_frame_shape() {
        let e = Envelope {
            id: "e-1".into(),
            app_id: "A1".into(),
            kind: kinds::SLASH_COMMANDS.into(),
            payload: r#"{"b":1,"a":2}"#.into(),
            accepts_response_payload: true,
            attempt: 2,
            retry_reason: "timeout",
            delivery: Delivery::Outstanding,
        };
        assert_eq!(
            e.frame(),
            r#"{"envelope_id":"e-1","payload":{"b":1,"a":2},"type":"slash_commands","accepts_response_payload":true,"retry_attempt":2,"retry_reason":"timeout"}"#
        );
    }
}
