//! Incoming frames and events: Slack events with type/subtype, typed views, raw JSON,
//! malformed frames, error codes, and the secrecy of the token.

mod common;

use common::*;
use rtm_proto::typed::{Message, Reaction};
use rtm_proto::{
    Action, Config, Connected, Event, Input, RtmError, SendError, SlackEvent, State, TypedEvent,
};

const READY: State = State::Connected(Connected::Ready);

fn slack(actions: &[Action]) -> Vec<SlackEvent> {
    events(actions)
        .into_iter()
        .filter_map(|e| match e {
            Event::Slack(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn one(h: &mut H, conn: rtm_proto::ConnId, frame: &str) -> SlackEvent {
    let a = h.input(text(conn, frame));
    let s = slack(&a);
    assert_eq!(s.len(), 1, "{a:?}");
    assert_eq!(s[0].raw(), frame);
    s.into_iter().next().unwrap()
}

#[test]
fn every_incoming_event_is_passed_on_with_type_subtype_and_raw_json() {
    let (mut h, conn) = H::ready(Config::default());
    let e = one(
        &mut h,
        conn,
        r#"{"type":"message","subtype":"bot_message","channel":"C1","bot_id":"B1","text":"beep","ts":"1.1"}"#,
    );
    assert_eq!(e.event_type(), Some("message"));
    assert_eq!(e.subtype(), Some("bot_message"));
    assert!(e.matches("message") && e.matches("message::bot_message") && e.matches("*"));
    assert!(!e.matches("message::me_message") && !e.matches("reaction_added"));
    assert_eq!(e.json().unwrap()["bot_id"], "B1");
    let TypedEvent::Message(m) = e.typed().unwrap() else {
        panic!()
    };
    assert_eq!(m.subtype.as_deref(), Some("bot_message"));
    assert_eq!(m.text.as_deref(), Some("beep"));
    let m: Message = e.parse().unwrap();
    assert_eq!(m.bot_id.as_deref(), Some("B1"));
    // The event's name is its type.
    assert_eq!(Event::Slack(e).name(), "message");

    // Unknown types are passed through, not dropped.
    let e = one(
        &mut h,
        conn,
        r#"{"type":"brand_new_event","x":[1,2,{"y":null}]}"#,
    );
    assert_eq!(e.event_type(), Some("brand_new_event"));
    assert_eq!(e.typed().unwrap(), TypedEvent::Other);
    assert_eq!(e.json().unwrap()["x"][2]["y"], serde_json::Value::Null);
    // reconnect_url is unsupported: passed on, nothing else.
    let a = h.input(text(
        conn,
        r#"{"type":"reconnect_url","url":"wss://elsewhere"}"#,
    ));
    assert_eq!(slack(&a).len(), 1);
    assert_eq!(a.len(), 1);
    assert_eq!(h.state(), READY);
    // A frame without type (a reply) is named slack_event and matches no type filter.
    let e = one(&mut h, conn, r#"{"ok":true,"reply_to":999}"#);
    assert_eq!(e.event_type(), None);
    assert_eq!(e.reply_to(), Some(999));
    assert!(!e.matches("message"));
    assert_eq!(Event::Slack(e).name(), "slack_event");
}

#[test]
fn escaped_type_and_subtype_are_read_correctly() {
    let (mut h, conn) = H::ready(Config::default());
    let e = one(
        &mut h,
        conn,
        r#"{"type":"mess\u0061ge","subtype":"bot\u005fmessage","text":"\"quoted\" \u00e9"}"#,
    );
    assert_eq!(e.event_type(), Some("message"));
    assert_eq!(e.subtype(), Some("bot_message"));
    let TypedEvent::Message(m) = e.typed().unwrap() else {
        panic!()
    };
    assert_eq!(m.text.as_deref(), Some("\"quoted\" é"));
    let e = SlackEvent::from_json(r#"  {  "subtype" : "x" , "type" : "y" }  "#).unwrap();
    assert_eq!((e.event_type(), e.subtype()), (Some("y"), Some("x")));
}

#[test]
fn typed_views_of_common_events() {
    type Check = fn(&TypedEvent) -> bool;
    let cases: &[(&str, Check)] = &[
        (r#"{"type":"hello"}"#, |t| *t == TypedEvent::Hello),
        (
            r#"{"type":"message","channel":"C2147483705","user":"U2147483697","text":"Hello world","ts":"1355517523.000005"}"#,
            |t| matches!(t, TypedEvent::Message(m) if m.user.as_deref() == Some("U2147483697") && m.subtype.is_none()),
        ),
        (
            r#"{"type":"user_typing","channel":"C1","user":"U1"}"#,
            |t| matches!(t, TypedEvent::UserTyping(u) if u.user == "U1"),
        ),
        (
            r#"{"type":"presence_change","user":"U1","presence":"away"}"#,
            |t| matches!(t, TypedEvent::PresenceChange(p) if p.presence == "away" && p.user.as_deref() == Some("U1")),
        ),
        (
            r#"{"type":"presence_change","users":["U1","U2"],"presence":"active"}"#,
            |t| matches!(t, TypedEvent::PresenceChange(p) if p.users.as_ref().map(Vec::len) == Some(2)),
        ),
        (
            r#"{"type":"reaction_added","user":"U1","reaction":"thumbsup","item_user":"U2","item":{"type":"message","channel":"C1","ts":"1360782400.498405"},"event_ts":"1360782804.083113"}"#,
            |t| matches!(t, TypedEvent::ReactionAdded(Reaction { reaction, .. }) if reaction == "thumbsup"),
        ),
        (
            r#"{"type":"reaction_removed","user":"U1","reaction":"x","item":{"type":"file"}}"#,
            |t| matches!(t, TypedEvent::ReactionRemoved(r) if r.item.kind == "file"),
        ),
        (
            r#"{"type":"channel_created","channel":{"id":"C1","name":"fun","creator":"U1"}}"#,
            |t| matches!(t, TypedEvent::ChannelCreated(c) if c.channel.name.as_deref() == Some("fun")),
        ),
        (r#"{"type":"channel_joined","channel":{"id":"C1"}}"#, |t| {
            matches!(t, TypedEvent::ChannelJoined(_))
        }),
        (
            r#"{"type":"channel_rename","channel":{"id":"C1","name":"new"}}"#,
            |t| matches!(t, TypedEvent::ChannelRename(_)),
        ),
        (
            r#"{"type":"channel_left","channel":"C1"}"#,
            |t| matches!(t, TypedEvent::ChannelLeft(c) if c.channel == "C1"),
        ),
        (
            r#"{"type":"channel_archive","channel":"C1","user":"U1"}"#,
            |t| matches!(t, TypedEvent::ChannelArchive(_)),
        ),
        (
            r#"{"type":"channel_unarchive","channel":"C1","user":"U1"}"#,
            |t| matches!(t, TypedEvent::ChannelUnarchive(_)),
        ),
        (r#"{"type":"channel_deleted","channel":"C1"}"#, |t| {
            matches!(t, TypedEvent::ChannelDeleted(_))
        }),
        (
            r#"{"type":"member_joined_channel","user":"U1","channel":"C1","channel_type":"C","team":"T1"}"#,
            |t| matches!(t, TypedEvent::MemberJoinedChannel(m) if m.channel_type.as_deref() == Some("C")),
        ),
        (
            r#"{"type":"member_left_channel","user":"U1","channel":"C1"}"#,
            |t| matches!(t, TypedEvent::MemberLeftChannel(_)),
        ),
        (
            r#"{"type":"team_join","user":{"id":"U9","name":"new","is_bot":false}}"#,
            |t| matches!(t, TypedEvent::TeamJoin(u) if u.user.id == "U9"),
        ),
        (
            r#"{"type":"user_change","user":{"id":"U9","deleted":true}}"#,
            |t| matches!(t, TypedEvent::UserChange(u) if u.user.deleted == Some(true)),
        ),
        (r#"{"type":"goodbye"}"#, |t| *t == TypedEvent::Goodbye),
        (
            r#"{"type":"error","error":{"code":1,"msg":"Socket URL has expired"}}"#,
            |t| matches!(t, TypedEvent::Error(e) if e.error.code == 1),
        ),
        (r#"{"type":"pong","reply_to":3}"#, |t| {
            *t == TypedEvent::Other
        }),
    ];
    for (frame, check) in cases {
        let e = SlackEvent::from_json(*frame).unwrap();
        let t = e.typed().unwrap();
        assert!(check(&t), "{frame}: {t:?}");
    }
    // A known type of an unexpected shape: the typed view fails, the raw frame remains.
    let e = SlackEvent::from_json(r#"{"type":"user_typing","channel":5}"#).unwrap();
    assert!(e.typed().is_err());
    assert_eq!(e.json().unwrap()["channel"], 5);
}

#[test]
fn malformed_frames_are_reported_and_the_session_goes_on() {
    let (mut h, conn) = H::ready(Config::default());
    for frame in [
        "",
        "not json",
        "{",
        r#"{"reply_to":1e400}"#,
        r#"{"type":"message""#,
        "123",
        "null",
        r#""hello""#,
        "[1,2]",
        r#"["hello"]"#,
        r#"["goodbye",null,null]"#,
        "\u{0}",
        r#"{"type":"message"} trailing"#,
    ] {
        let a = h.input(text(conn, frame));
        assert!(
            matches!(
                &a[..],
                [Action::Emit(Event::Error(e @ RtmError::MalformedFrame { .. }))]
                    if e.code() == "slack_rtmapi_malformed_frame_error"
            ),
            "{frame:?}: {a:?}"
        );
        assert_eq!(h.state(), READY, "{frame:?}");
    }
    let a = h.input(Input::WsBinary { conn, len: 12 });
    assert_eq!(
        a,
        [Action::Emit(Event::Error(RtmError::UnexpectedBinary {
            len: 12
        }))]
    );
    assert_eq!(h.state(), READY);
}

#[test]
fn odd_but_valid_objects_are_events_not_errors() {
    let (mut h, conn) = H::ready(Config::default());
    for frame in [
        r#"{}"#,
        r#"{"type":null}"#,
        r#"{"type":5}"#,
        r#"{"type":"message","subtype":{"nested":true}}"#,
        r#"{"reply_to":"12"}"#,
        r#"{"reply_to":-1}"#,
        r#"{"reply_to":1.5}"#,
        r#"{"ok":true,"reply_to":99999999999999999999999}"#,
    ] {
        let a = h.input(text(conn, frame));
        assert_eq!(slack(&a).len(), 1, "{frame}: {a:?}");
        assert_eq!(h.state(), READY, "{frame}");
    }
}

#[test]
fn replies_of_odd_shapes_settle_their_send() {
    let (mut h, conn) = H::ready(Config::default().with_pacing(None));
    for (i, reply) in [
        r#"{"ok":true,"reply_to":1}"#,
        r#"{"ok":true,"reply_to":2,"ts":1355517523.5}"#,
        r#"{"ok":false,"reply_to":3,"error":"no"}"#,
        r#"{"ok":false,"reply_to":4}"#,
        r#"{"reply_to":5,"error":{"code":9,"msg":"m"}}"#,
    ]
    .iter()
    .enumerate()
    {
        let handle = i as u64 + 1;
        h.input(message(handle, "C1", "m"));
        let a = h.input(text(conn, reply));
        let r = settle_of(&a, handle).unwrap_or_else(|| panic!("{reply}: {a:?}"));
        match handle {
            1 | 2 => assert!(r.is_ok(), "{reply}: {r:?}"),
            _ => assert!(
                matches!(r, Err(SendError::Platform { .. })),
                "{reply}: {r:?}"
            ),
        }
    }
}

#[test]
fn error_frame_before_hello_fails_the_attempt_and_retries() {
    let mut h = H::default();
    let conn = web_call(&h.start()).unwrap();
    h.input(web_ok(conn));
    h.input(Input::WsOpened { conn });
    let a = h.input(text(
        conn,
        r#"{"type":"error","error":{"code":1,"msg":"Socket URL has expired"}}"#,
    ));
    let expected = RtmError::Server {
        code: 1,
        msg: "Socket URL has expired".into(),
    };
    assert!(events(&a).contains(&&Event::Error(expected.clone())));
    assert_eq!(reconnecting(&a).unwrap().2, expected);
    assert!(a.contains(&Action::DropWebSocket { conn }));
    assert_eq!(expected.code(), "slack_rtmapi_websocket_error");
}

#[test]
fn lifecycle_event_names_match_the_reference() {
    let e = RtmError::Goodbye;
    let named = [
        (Event::Connecting, "connecting"),
        (Event::Connected, "connected"),
        (Event::Ready, "ready"),
        (Event::Disconnecting, "disconnecting"),
        (
            Event::Reconnecting {
                attempt: 1,
                delay: secs(1),
                reason: e.clone(),
            },
            "reconnecting",
        ),
        (Event::Disconnected { error: None }, "disconnected"),
        (Event::UnableToRtmStart(e.clone()), "unable_to_rtm_start"),
        (Event::Error(e), "error"),
        (
            Event::OutgoingMessage {
                id: 1,
                frame: String::new(),
            },
            "outgoing_message",
        ),
    ];
    for (event, name) in named {
        assert_eq!(event.name(), name);
    }
}

#[test]
fn error_codes_match_the_reference_names() {
    assert_eq!(
        SendError::NotConnected.code(),
        "slack_rtmapi_send_while_disconnected_error"
    );
    assert_eq!(
        SendError::NotReady.code(),
        "slack_rtmapi_send_while_not_ready_error"
    );
    let platform = SendError::Platform {
        id: 1,
        code: 2,
        msg: "m".into(),
        raw: String::new(),
    };
    assert_eq!(platform.code(), "slack_rtmapi_send_message_platform_error");
    let no_reply = SendError::NoReply {
        id: 1,
        reason: rtm_proto::NoReplyReason::ConnectionLost,
    };
    assert_eq!(no_reply.code(), "slack_rtmapi_no_reply_received_error");
    for e in [
        RtmError::Websocket { error: "x".into() },
        RtmError::Closed {
            code: 1006,
            reason: String::new(),
        },
        RtmError::PongTimeout,
        RtmError::HelloTimeout,
        RtmError::Goodbye,
    ] {
        assert_eq!(e.code(), "slack_rtmapi_websocket_error", "{e:?}");
    }
    assert_eq!(
        RtmError::RetriesExhausted {
            attempts: 3,
            last: Box::new(RtmError::Http { status: 500 })
        }
        .code(),
        "slack_webapi_http_error"
    );
    // Messages are useful.
    assert_eq!(platform.to_string(), "Slack refused message 1: m (code 2)");
    assert!(
        no_reply
            .to_string()
            .contains("no reply received for message 1")
    );
}

#[test]
fn the_token_is_never_shown() {
    let mut h = H::default();
    let (conn, _) = h.connect();
    h.input(message(1, "C1", "hi"));
    h.input(web_error(conn, "invalid_auth"));
    h.input(closed(conn, 1006));
    let c2 = web_call(&h.log).unwrap();
    let _ = c2;
    let conn = web_call(&h.tick_deadline()).unwrap_or(conn);
    h.input(web_error(conn, "invalid_auth"));
    let options = rtm_proto::StartOptions::new(TOKEN);
    let shown = [
        format!("{:?}", h.log),
        format!("{:?}", h.client),
        format!("{options:?}"),
        format!("{:?}", Input::Start(options.clone())),
        format!("{}", options.token),
        format!("{:?}", options.token),
        format!("{:?}", h.client.config()),
    ]
    .join("\n");
    assert!(shown.contains("redacted"));
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(!shown.contains("SECRET"), "{shown}");
    for a in &h.log {
        if let Action::Emit(Event::Reconnecting { reason, .. } | Event::Error(reason)) = a {
            assert!(!reason.to_string().contains("SECRET"));
        }
    }
    // The one place that needs it.
    assert_eq!(options.token.expose(), TOKEN);
    // The socket URL (a short-lived credential) stays out of Debug too.
    let info = h.client.connect_info().unwrap();
    assert!(!format!("{info:?}").contains("wss://"));
}

#[test]
fn retries_exhausted_keeps_its_last_cause_as_source() {
    use std::error::Error as _;
    let e = RtmError::RetriesExhausted {
        attempts: 3,
        last: Box::new(RtmError::Http { status: 503 }),
    };
    let source = e.source().expect("the last failure");
    assert_eq!(
        source.to_string(),
        RtmError::Http { status: 503 }.to_string()
    );
    assert!(RtmError::Goodbye.source().is_none());
    let e = rtm_proto::SocketModeError::RetriesExhausted {
        attempts: 2,
        last: Box::new(rtm_proto::SocketModeError::HelloTimeout),
    };
    assert_eq!(
        e.source().map(|s| s.to_string()),
        Some(rtm_proto::SocketModeError::HelloTimeout.to_string())
    );
}
