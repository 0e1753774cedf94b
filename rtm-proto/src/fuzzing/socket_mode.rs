//! The Socket Mode client under fuzzed scripts: each byte picks an input (a transport
//! result, a frame of Slack's, a user's ack, time passing), so the fuzzer explores orders no
//! test thought of. Panics when an invariant of the core breaks.

use std::time::{Duration, Instant};

use crate::invariants::SocketModeInvariants;
use crate::{
    Action, ConnId, Input, SocketModeClient, SocketModeConfig, SocketModeEvent, StartOptions,
    WebResponse,
};

const ENVELOPES: [&str; 4] = ["e0", "e1", "e2", "e3"];

fn envelope(byte: u8) -> String {
    let id = ENVELOPES[usize::from(byte) % ENVELOPES.len()];
    let attempt = (byte >> 2) % 3;
    match (byte >> 4) % 4 {
        0 => format!(
            r#"{{"envelope_id":"{id}","type":"events_api","retry_attempt":{attempt},"payload":{{"event_id":"Ev{id}","event":{{"type":"message"}}}}}}"#
        ),
        1 => format!(
            r#"{{"envelope_id":"{id}","type":"slash_commands","accepts_response_payload":true,"payload":{{"command":"/x"}}}}"#
        ),
        2 => format!(r#"{{"envelope_id":"{id}","type":"interactive","payload":{{}}}}"#),
        _ => format!(r#"{{"envelope_id":"{id}","type":"mystery"}}"#),
    }
}

fn frame(byte: u8) -> String {
    match byte % 8 {
        0 => r#"{"type":"hello","num_connections":1,"debug_info":{"approximate_connection_time":40},"connection_info":{"app_id":"A1"}}"#.into(),
        1 => r#"{"type":"disconnect","reason":"warning"}"#.into(),
        2 => r#"{"type":"disconnect","reason":"refresh_requested"}"#.into(),
        3 if byte < 64 => r#"{"type":"disconnect","reason":"link_disabled"}"#.into(),
        3 => r#"{"type":"disconnect","reason":"warning"}"#.into(),
        4 => r#"{"type":"disconnect","reason":"??"}"#.into(),
        5 => "{garbage".into(),
        _ => envelope(byte >> 3),
    }
}

/// How far a script got, so a sample of scripts can be shown to explore the deep states.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reached {
    /// A connection said `hello`.
    pub connected: bool,
    /// A refresh began (a replacement was opened beside the live socket).
    pub refreshing: bool,
    /// A refresh completed (the replacement took over).
    pub refreshed: bool,
    /// Envelopes delivered.
    pub envelopes: usize,
    /// Acks written.
    pub acks: usize,
}

/// Runs the script in `data` against a Socket Mode client and checks, after every input:
/// no panic, at most two sockets, a deadline in every state that owes one, every ack input
/// settled exactly once, and no envelope delivered twice.
pub fn socket_mode_inputs(data: &[u8]) -> Reached {
    let config = SocketModeConfig {
        ack_deadline: Duration::from_secs(3),
        drain_timeout: Duration::from_secs(1),
        refresh_lead: Duration::from_secs(10),
        dedup_window: 64,
        ..SocketModeConfig::default()
    };
    let mut reached = Reached::default();
    let Ok(mut client) = SocketModeClient::new(config) else {
        return reached;
    };
    let t0 = Instant::now();
    let mut now = t0;
    let mut check = SocketModeInvariants::new();
    let mut bytes = data.iter().copied();
    while let Some(b) = bytes.next() {
        let arg = bytes.next().unwrap_or(0);
        // The sockets and the attempt the client knows of, as a transport would report them.
        let socks = client.sockets();
        let conn = socks
            .get(usize::from(b >> 4) % socks.len().max(1))
            .copied()
            .unwrap_or(ConnId(u64::from(arg % 8)));
        // Mostly the attempt under way; now and then a stale or unknown one.
        let attempts = client.attempts();
        let attempt = match attempts.first() {
            Some(c) if arg % 7 != 0 => *c,
            _ => ConnId(u64::from(arg % 12)),
        };
        let input = match b % 16 {
            0 => Input::Start(StartOptions::new("xapp-fuzz")),
            // The inputs that end a session come rarely, so scripts reach the deep states.
            1 if arg < 48 => Input::Disconnect,
            1 => Input::WsPong { conn },
            2 => Input::WebApiResult {
                conn: attempt,
                result: Ok(WebResponse {
                    status: if arg % 5 == 0 { 429 } else { 200 },
                    retry_after: (arg % 3 == 0).then(|| "2".to_owned()),
                    location: None,
                    body: if arg % 4 == 0 {
                        r#"{"ok":false,"error":"internal_error"}"#.into()
                    } else {
                        r#"{"ok":true,"url":"wss://fuzz/link/?ticket=t"}"#.into()
                    },
                }),
            },
            3 => Input::WebApiResult {
                conn: attempt,
                result: Err("network".into()),
            },
            4 => Input::WsOpened { conn },
            5..=8 => Input::WsText {
                conn,
                text: frame(arg),
            },
            9 => Input::WsPing { conn },
            10 => Input::WsPong { conn },
            11 if arg >= 96 => Input::WsPing { conn },
            11 => Input::WsClosed {
                conn,
                code: if arg % 2 == 0 { 1000 } else { 1006 },
                reason: String::new(),
            },
            12 => Input::Ack {
                envelope_id: ENVELOPES[usize::from(arg) % ENVELOPES.len()].to_owned(),
                payload: (arg % 3 == 0).then(|| r#"{"text":"ok"}"#.to_owned()),
            },
            13 => Input::WsBinary { conn, len: 3 },
            // Shutdown is for good, so rare; otherwise one more chance of a hello.
            14 if arg < 8 => Input::Shutdown,
            14 => Input::WsText {
                conn,
                text: frame(0),
            },
            _ => {
                // Time passes: to the next deadline, or by the byte's number of seconds.
                let step = Duration::from_millis(u64::from(arg) * 40);
                now = match client.next_deadline() {
                    Some(d) if arg % 2 == 0 => d.max(now),
                    _ => now + step,
                };
                Input::Tick
            }
        };
        let actions = check.feed(&mut client, now, input);
        for a in &actions {
            match a {
                // Ids repeat only past the window, which this script never fills, so the
                // checker's "never twice" holds.
                Action::SocketMode(SocketModeEvent::Envelope(_)) => reached.envelopes += 1,
                Action::SocketMode(SocketModeEvent::Connected(_)) => reached.connected = true,
                Action::SocketMode(SocketModeEvent::Refreshing { .. }) => reached.refreshing = true,
                Action::SocketMode(SocketModeEvent::Refreshed { .. }) => reached.refreshed = true,
                Action::SendText { .. } => reached.acks += 1,
                _ => {}
            }
        }
    }
    reached
}
