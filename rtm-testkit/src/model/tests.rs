//! The model answers as Slack does, and every fault shows, under virtual time.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;

struct Sim {
    model: SlackModel,
    now: Instant,
}

impl Sim {
    fn new() -> Self {
        Sim {
            model: SlackModel::new(Workspace::default()),
            now: Instant::now(),
        }
    }

    fn advance(&mut self, d: Duration) -> Vec<ServerAction> {
        self.now += d;
        self.model.tick(self.now)
    }

    fn connect(&mut self) -> HttpAnswer {
        self.model.http(
            self.now,
            HttpRequest::post_form("rtm.connect", &[]).bearer(DEFAULT_TOKEN),
        )
    }

    fn ticket(&mut self) -> String {
        self.connect().ticket.expect("ticket")
    }

    /// rtm.connect + open; returns the connection and its opening actions.
    fn open(&mut self) -> (SocketId, Vec<ServerAction>) {
        let t = self.ticket();
        self.model.ws_open(self.now, &t).expect("open")
    }

    fn text(&mut self, conn: SocketId, v: Value) -> Vec<ServerAction> {
        self.model.ws_text(self.now, conn, &v.to_string())
    }
}

fn jsons(actions: &[ServerAction]) -> Vec<Value> {
    actions.iter().filter_map(ServerAction::json).collect()
}

fn one(actions: &[ServerAction]) -> Value {
    assert_eq!(actions.len(), 1, "{actions:?}");
    actions[0].json().expect("json")
}

#[test]
fn rtm_connect_success_body() {
    let mut s = Sim::new();
    let a = s.connect();
    assert_eq!(a.status, 200);
    let v = a.body_json().unwrap();
    let url = format!("{DEFAULT_WS_BASE_URL}{}", a.ticket.as_ref().unwrap());
    assert_eq!(
        v,
        json!({"ok": true, "url": url,
            "self": {"id": "U0BOT", "name": "testbot"},
            "team": {"id": "T0TESTTEAM", "name": "Test Team", "domain": "testteam"}})
    );
    assert!(
        a.body.starts_with(r#"{"ok":true,"url":"#),
        "Slack's field order: {}",
        a.body
    );
    assert_eq!(a.ticket.unwrap().len(), 32);
}

#[test]
fn token_from_form_field_and_errors() {
    let mut s = Sim::new();
    let ok = s.model.http(
        s.now,
        HttpRequest::post_form("rtm.connect", &[("token", DEFAULT_TOKEN)]),
    );
    assert_eq!(ok.body_json().unwrap()["ok"], true);
    let missing = s
        .model
        .http(s.now, HttpRequest::post_form("rtm.connect", &[]));
    assert_eq!(missing.status, 200);
    assert_eq!(missing.body, r#"{"ok":false,"error":"not_authed"}"#);
    let wrong = s.model.http(
        s.now,
        HttpRequest::post_form("rtm.connect", &[]).bearer("xoxb-nope"),
    );
    assert_eq!(wrong.body, r#"{"ok":false,"error":"invalid_auth"}"#);
    let unknown = s.model.http(
        s.now,
        HttpRequest::post_form("chat.nope", &[]).bearer(DEFAULT_TOKEN),
    );
    assert_eq!(unknown.status, 404);
    let calls = &s.model.record().web_calls;
    assert_eq!(calls.len(), 4);
    assert_eq!(calls[0].token.as_deref(), Some(DEFAULT_TOKEN));
    assert!(
        calls[0].params.iter().all(|(k, _)| k != "token"),
        "token kept out of params"
    );
}

#[test]
fn rtm_start_lists_the_workspace() {
    let mut s = Sim::new();
    let mut req = HttpRequest::post_form("rtm.start", &[]);
    req.method = "GET".into();
    req.query = format!("token={DEFAULT_TOKEN}");
    let v = s.model.http(s.now, req).body_json().unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["users"].as_array().unwrap().len(), 3);
    assert_eq!(v["channels"][0]["id"], "C0GENERAL");
    assert_eq!(v["groups"][0]["id"], "G0PRIVATE");
    assert_eq!(v["ims"][0]["user"], "U0ALICE");
    assert_eq!(v["mpims"], json!([]));
    assert_eq!(v["bots"][0]["id"], "B0BOT");
}

#[test]
fn ticket_is_single_use_and_expires() {
    let mut s = Sim::new();
    let t = s.ticket();
    assert_eq!(
        s.model.ws_open(s.now, "nope").unwrap_err(),
        Reject::UnknownTicket
    );
    let (_, actions) = s.model.ws_open(s.now, &t).unwrap();
    assert_eq!(one(&actions), json!({"type": "hello"}));
    assert_eq!(s.model.ws_open(s.now, &t).unwrap_err(), Reject::AlreadyUsed);
    let t2 = s.ticket();
    s.now += Duration::from_secs(29);
    let t3 = s.ticket();
    s.now += Duration::from_secs(1);
    assert_eq!(s.model.ws_open(s.now, &t2).unwrap_err(), Reject::Expired);
    assert!(s.model.ws_open(s.now, &t3).is_ok());
}

#[test]
fn message_ack_broadcast_and_history() {
    let mut s = Sim::new();
    let (a, _) = s.open();
    let (b, _) = s.open();
    let out = s.text(
        a,
        json!({"id": 1, "type": "message", "channel": "C0GENERAL", "text": "Hi <all> & co"}),
    );
    assert_eq!(out.len(), 2);
    assert_eq!(
        out[0].conn(),
        b,
        "the other session sees the bot's message first"
    );
    let ev = out[0].json().unwrap();
    assert_eq!(ev["type"], "message");
    assert_eq!(ev["user"], "U0BOT");
    let ack = out[1].json().unwrap();
    assert_eq!(out[1].conn(), a);
    assert!(
        out[1]
            .text()
            .unwrap()
            .starts_with(r#"{"ok":true,"reply_to":1,"ts":""#)
    );
    assert_eq!(
        ack["text"], "Hi &lt;all&gt; &amp; co",
        "Slack rewrites the text"
    );
    assert_eq!(ev["ts"], ack["ts"]);
    let ts1 = ack["ts"].as_str().unwrap().to_string();
    let ack2 = one(&s
        .text(
            a,
            json!({"id": 2, "type": "message", "channel": "C0RANDOM", "text": "x"}),
        )
        .into_iter()
        .filter(|x| x.conn() == a)
        .collect::<Vec<_>>());
    assert!(ack2["ts"].as_str().unwrap() > ts1.as_str(), "ts increase");
    assert_eq!(s.model.history("C0GENERAL")[0].user, "U0BOT");
    assert_eq!(s.model.history("C0GENERAL")[0].ts, ts1);
}

#[test]
fn message_errors() {
    let mut s = Sim::new();
    let (c, _) = s.open();
    let e = one(&s.text(
        c,
        json!({"id": 1, "type": "message", "channel": "C0NOPE", "text": "x"}),
    ));
    assert_eq!(
        e,
        json!({"ok": false, "reply_to": 1, "error": {"code": codes::CHANNEL_NOT_FOUND, "msg": "channel not found"}})
    );
    let e = one(&s.text(
        c,
        json!({"id": 2, "type": "message", "channel": "C0GENERAL"}),
    ));
    assert_eq!(
        e,
        json!({"ok": false, "reply_to": 2, "error": {"code": 2, "msg": "message text is missing"}})
    );
    let long = "é".repeat(MAX_TEXT_CHARS + 1);
    let e = one(&s.text(
        c,
        json!({"id": 3, "type": "message", "channel": "C0GENERAL", "text": long}),
    ));
    assert_eq!(e["error"]["msg"], "msg too long");
    let fits = "a".repeat(MAX_TEXT_CHARS);
    let ok = one(&s.text(
        c,
        json!({"id": 4, "type": "message", "channel": "C0GENERAL", "text": fits}),
    ));
    assert_eq!(ok["ok"], true);
}

#[test]
fn oversized_frame_closes_1009() {
    let mut s = Sim::new();
    let (c, _) = s.open();
    let big = format!(
        r#"{{"id":1,"type":"message","channel":"C0GENERAL","text":"{}"}}"#,
        "a".repeat(MAX_FRAME_BYTES)
    );
    let out = s.model.ws_text(s.now, c, &big);
    assert_eq!(
        out,
        vec![ServerAction::Close {
            conn: c,
            code: 1009,
            reason: "message too big".into()
        }]
    );
    assert!(s.model.open_connections().is_empty());
    assert!(
        s.model.ws_text(s.now, c, "{}").is_empty(),
        "closed connections are ignored"
    );
}

#[test]
fn invalid_frames_get_error_frames() {
    let mut s = Sim::new();
    let (c, _) = s.open();
    let e = one(&s.model.ws_text(s.now, c, "not json"));
    assert_eq!(
        e,
        json!({"type": "error", "error": {"code": codes::BAD_FRAME, "msg": codes::BAD_FRAME_MSG}})
    );
    let e = one(&s.text(
        c,
        json!({"type": "message", "channel": "C0GENERAL", "text": "x"}),
    ));
    assert_eq!(e["type"], "error");
    assert_eq!(e["error"]["code"], codes::NO_ID);
    let e = one(&s.text(c, json!({"id": "1", "type": "ping"})));
    assert_eq!(e["error"]["code"], codes::NO_ID);
    let e = one(&s.text(c, json!({"id": 9, "type": "frobnicate"})));
    assert_eq!(e["reply_to"], 9);
    assert_eq!(e["ok"], false);
    let out = s.model.ws_binary(s.now, c, b"\x00\x01");
    assert!(matches!(out[0], ServerAction::Close { code: 1003, .. }));
}

#[test]
fn ping_pong_echoes_flat_fields() {
    let mut s = Sim::new();
    let (c, _) = s.open();
    let out = s.text(
        c,
        json!({"id": 3, "type": "ping", "time": 1403299273342u64, "tag": "x", "nested": {"a": 1}}),
    );
    assert_eq!(
        one(&out),
        json!({"type": "pong", "reply_to": 3, "time": 1403299273342u64, "tag": "x"})
    );
    assert!(
        out[0]
            .text()
            .unwrap()
            .starts_with(r#"{"type":"pong","reply_to":3"#)
    );
}

#[test]
fn presence_sub_is_remembered_and_filters_presence_changes() {
    let mut s = Sim::new();
    let (a, _) = s.open();
    let (b, _) = s.open();
    assert!(
        s.text(
            a,
            json!({"type": "presence_sub", "ids": ["U0ALICE", "U0BOB"]})
        )
        .is_empty()
    );
    s.text(a, json!({"type": "presence_sub", "ids": ["U0ALICE"]}));
    assert_eq!(
        s.model.presence_subscription(a).unwrap(),
        ["U0ALICE".to_string()]
    );
    assert!(s.model.presence_subscription(b).is_none());
    let out = s
        .model
        .act(
            s.now,
            UserAction::Presence {
                user: "U0ALICE".into(),
                presence: "away".into(),
            },
        )
        .unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].conn(), a);
    assert_eq!(
        one(&out),
        json!({"type": "presence_change", "user": "U0ALICE", "presence": "away"})
    );
    let out = s
        .model
        .act(
            s.now,
            UserAction::Presence {
                user: "U0BOB".into(),
                presence: "away".into(),
            },
        )
        .unwrap();
    assert!(out.is_empty());
}

#[test]
fn typing_is_relayed_to_other_connections() {
    let mut s = Sim::new();
    let (a, _) = s.open();
    let (b, _) = s.open();
    let out = s.text(
        a,
        json!({"id": 1, "type": "typing", "channel": "C0GENERAL"}),
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].conn(), b);
    assert_eq!(
        one(&out),
        json!({"type": "user_typing", "channel": "C0GENERAL", "user": "U0BOT"})
    );
    let e = one(&s.text(a, json!({"id": 2, "type": "typing", "channel": "C0NOPE"})));
    assert_eq!(e["reply_to"], 2);
    assert_eq!(e["error"]["code"], codes::CHANNEL_NOT_FOUND);
}

#[test]
fn scripted_users_converse() {
    let mut s = Sim::new();
    let (c, _) = s.open();
    let start = s.now;
    s.model.run_script(
        start,
        &Script::new()
            .then(
                Duration::from_millis(100),
                UserAction::Typing {
                    user: "U0ALICE".into(),
                    channel: "C0GENERAL".into(),
                },
            )
            .then(
                Duration::from_millis(200),
                UserAction::Message {
                    user: "U0ALICE".into(),
                    channel: "C0GENERAL".into(),
                    text: "deploy done?".into(),
                },
            )
            .then(
                Duration::from_millis(300),
                UserAction::React {
                    user: "U0BOB".into(),
                    channel: "C0GENERAL".into(),
                    ts: None,
                    reaction: "eyes".into(),
                },
            )
            .then(
                Duration::from_millis(400),
                UserAction::Join {
                    user: "U0BOB".into(),
                    channel: "C0RANDOM".into(),
                },
            ),
    );
    assert_eq!(
        s.model.next_deadline(),
        Some(start + Duration::from_millis(100))
    );
    assert!(s.advance(Duration::from_millis(99)).is_empty());
    assert_eq!(
        one(&s.advance(Duration::from_millis(1)))["type"],
        "user_typing"
    );
    let msg = one(&s.advance(Duration::from_millis(100)));
    assert_eq!(msg["type"], "message");
    for k in [
        "user",
        "text",
        "channel",
        "ts",
        "team",
        "event_ts",
        "client_msg_id",
        "blocks",
    ] {
        assert!(!msg[k].is_null(), "message event has {k}: {msg}");
    }
    assert_eq!(msg["text"], "deploy done?");
    let rx = one(&s.advance(Duration::from_millis(100)));
    assert_eq!(rx["type"], "reaction_added");
    assert_eq!(rx["item"]["ts"], msg["ts"]);
    assert_eq!(rx["item_user"], "U0ALICE");
    let join = one(&s.advance(Duration::from_millis(100)));
    assert_eq!(join["type"], "member_joined_channel");
    assert_eq!(join["channel_type"], "C");
    assert!(
        s.model
            .workspace()
            .channel("C0RANDOM")
            .unwrap()
            .members
            .contains(&"U0BOB".to_string())
    );
    assert_eq!(s.model.next_deadline(), None);
    assert_eq!(
        s.model.record().conn(c).unwrap().to_client.len(),
        5,
        "hello + 4 events"
    );
    let err = s.model.act(
        s.now,
        UserAction::Typing {
            user: "U0NOPE".into(),
            channel: "C0GENERAL".into(),
        },
    );
    assert_eq!(err.unwrap_err(), ModelError::UnknownUser("U0NOPE".into()));
}

#[test]
fn fault_close_drop_goodbye_migration() {
    let mut s = Sim::new();
    let (a, _) = s.open();
    let (b, _) = s.open();
    let out = s.model.inject(s.now, Target::All, Fault::Goodbye);
    assert_eq!(
        jsons(&out),
        vec![json!({"type": "goodbye"}), json!({"type": "goodbye"})]
    );
    let out = s
        .model
        .inject(s.now, Target::Conn(b), Fault::TeamMigrationStarted);
    assert_eq!(one(&out), json!({"type": "team_migration_started"}));
    let out = s.model.inject(
        s.now,
        Target::Conn(a),
        Fault::Close {
            code: 4000,
            reason: "bye".into(),
        },
    );
    assert_eq!(
        out,
        vec![ServerAction::Close {
            conn: a,
            code: 4000,
            reason: "bye".into()
        }]
    );
    let out = s.model.inject(s.now, Target::All, Fault::DropTcp);
    assert_eq!(out, vec![ServerAction::DropTcp { conn: b }]);
    let rec = s.model.record();
    assert_eq!(
        rec.conn(a).unwrap().server_close,
        Some((4000, "bye".into()))
    );
    assert!(rec.conn(b).unwrap().dropped);
    assert_eq!(rec.active_connections(), 0);
}

#[test]
fn fault_no_hello_and_late_hello() {
    let mut s = Sim::new();
    s.model.inject(s.now, Target::All, Fault::NoHello);
    let (c, out) = s.open();
    assert!(out.is_empty());
    assert!(!s.model.hello_sent(c));
    assert_eq!(s.model.next_deadline(), None);
    s.model.inject(
        s.now,
        Target::All,
        Fault::LateHello {
            delay: Duration::from_secs(5),
        },
    );
    let (d, out) = s.open();
    assert!(out.is_empty());
    assert_eq!(
        s.model.next_deadline(),
        Some(s.now + Duration::from_secs(5))
    );
    assert!(s.advance(Duration::from_millis(4999)).is_empty());
    let out = s.advance(Duration::from_millis(1));
    assert_eq!(out[0].conn(), d);
    assert_eq!(one(&out), json!({"type": "hello"}));
    let (_, out) = s.open();
    assert_eq!(one(&out), json!({"type": "hello"}), "one-shot faults");
}

#[test]
fn fault_expired_url_error_then_close() {
    let mut s = Sim::new();
    s.model.inject(s.now, Target::All, Fault::ExpiredUrl);
    let (c, out) = s.open();
    assert_eq!(out.len(), 2);
    assert_eq!(
        out[0].text().unwrap(),
        r#"{"type":"error","error":{"code":1,"msg":"Socket URL has expired"}}"#
    );
    assert!(matches!(out[1], ServerAction::Close { conn, .. } if conn == c));
}

#[test]
fn fault_stop_and_resume_pongs() {
    let mut s = Sim::new();
    let (c, _) = s.open();
    s.model.inject(s.now, Target::All, Fault::StopPongs);
    assert!(s.text(c, json!({"id": 1, "type": "ping"})).is_empty());
    s.model.inject(s.now, Target::All, Fault::ResumePongs);
    assert_eq!(
        one(&s.text(c, json!({"id": 2, "type": "ping"})))["reply_to"],
        2
    );
}

#[test]
fn fault_replay_last_ack_after_reconnect() {
    let mut s = Sim::new();
    let (a, _) = s.open();
    let ack = s.text(
        a,
        json!({"id": 7, "type": "message", "channel": "C0GENERAL", "text": "hi"}),
    );
    let ack_text = ack[0].text().unwrap().to_string();
    s.model.ws_closed(s.now, a);
    s.model.inject(s.now, Target::All, Fault::ReplayLastAck);
    let (_, out) = s.open();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].json().unwrap(), json!({"type": "hello"}));
    assert_eq!(
        out[1].text().unwrap(),
        ack_text,
        "same ack, right after hello"
    );
}

#[test]
fn fault_rate_limit_replies() {
    let mut s = Sim::new();
    let (c, _) = s.open();
    s.model
        .inject(s.now, Target::All, Fault::RateLimit { count: 1 });
    let e = one(&s.text(
        c,
        json!({"id": 1, "type": "message", "channel": "C0GENERAL", "text": "a"}),
    ));
    assert_eq!(
        e,
        json!({"ok": false, "reply_to": 1, "error": {"code": -1, "msg": "slow down, too many messages..."}})
    );
    let ok = one(&s.text(
        c,
        json!({"id": 2, "type": "message", "channel": "C0GENERAL", "text": "a"}),
    ));
    assert_eq!(ok["ok"], true);
}

#[test]
fn fault_hold_acks_releases_reversed() {
    let mut s = Sim::new();
    let (c, _) = s.open();
    s.model
        .inject(s.now, Target::All, Fault::HoldAcks { count: 3 });
    for id in 1..=2 {
        assert!(
            s.text(
                c,
                json!({"id": id, "type": "message", "channel": "C0GENERAL", "text": "x"})
            )
            .is_empty()
        );
    }
    // Pongs are not acks: they still flow.
    assert_eq!(
        one(&s.text(c, json!({"id": 3, "type": "ping"})))["reply_to"],
        3
    );
    let out = s.text(
        c,
        json!({"id": 4, "type": "message", "channel": "C0GENERAL", "text": "x"}),
    );
    let ids: Vec<u64> = jsons(&out)
        .iter()
        .map(|v| v["reply_to"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![4, 2, 1]);
    // Early release.
    s.model
        .inject(s.now, Target::All, Fault::HoldAcks { count: 10 });
    s.text(
        c,
        json!({"id": 5, "type": "message", "channel": "C0GENERAL", "text": "x"}),
    );
    s.text(
        c,
        json!({"id": 6, "type": "message", "channel": "C0GENERAL", "text": "x"}),
    );
    let out = s.model.inject(s.now, Target::All, Fault::ReleaseAcks);
    let ids: Vec<u64> = jsons(&out)
        .iter()
        .map(|v| v["reply_to"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![6, 5]);
}

#[test]
fn fault_slow_replies() {
    let mut s = Sim::new();
    let (c, _) = s.open();
    s.model.inject(
        s.now,
        Target::All,
        Fault::SlowReplies {
            delay: Duration::from_secs(2),
        },
    );
    assert!(s.text(c, json!({"id": 1, "type": "ping"})).is_empty());
    assert!(s.advance(Duration::from_millis(1999)).is_empty());
    assert_eq!(one(&s.advance(Duration::from_millis(1)))["type"], "pong");
    s.model.inject(s.now, Target::All, Fault::Clear);
    assert_eq!(s.text(c, json!({"id": 2, "type": "ping"})).len(), 1);
}

#[test]
fn fault_raw_frames_and_flood() {
    let mut s = Sim::new();
    let (c, _) = s.open();
    let out = s.model.inject(
        s.now,
        Target::All,
        Fault::RawText {
            text: "{garbage".into(),
        },
    );
    assert_eq!(out[0].text(), Some("{garbage"));
    let out = s.model.inject(
        s.now,
        Target::Conn(c),
        Fault::RawBinary { data: vec![1, 2] },
    );
    assert_eq!(
        out,
        vec![ServerAction::Send {
            conn: c,
            frame: WireFrame::Binary(vec![1, 2])
        }]
    );
    let out = s
        .model
        .inject(s.now, Target::All, Fault::Flood { count: 5000 });
    let ServerAction::Flood {
        conn,
        count,
        events,
    } = &out[0]
    else {
        panic!("{out:?}")
    };
    assert_eq!((*conn, *count), (c, 5000));
    let avg = events.iter().map(String::len).sum::<usize>() / events.len();
    assert!(
        (330..=400).contains(&avg),
        "flood events average {avg} bytes"
    );
    assert!(
        events
            .iter()
            .all(|e| serde_json::from_str::<Value>(e).unwrap()["type"] == "message")
    );
    assert_eq!(s.model.record().conn(c).unwrap().flooded, 5000);
}

#[test]
fn web_faults_are_consumed_in_order() {
    let mut s = Sim::new();
    s.model.arm_web_fault(
        WebFault::RateLimited {
            retry_after_secs: 7,
        },
        2,
    );
    s.model.arm_web_fault(WebFault::Status { status: 503 }, 1);
    s.model.arm_web_fault(WebFault::NotJson, 1);
    s.model.arm_web_fault(
        WebFault::Slow {
            delay: Duration::from_secs(3),
        },
        1,
    );
    s.model.arm_web_fault(WebFault::invalid_auth(), 1);
    for _ in 0..2 {
        let a = s.connect();
        assert_eq!(a.status, 429);
        assert_eq!(a.header("Retry-After"), Some("7"));
        assert_eq!(a.body, r#"{"ok":false,"error":"ratelimited"}"#);
        assert!(a.ticket.is_none());
    }
    assert_eq!(s.connect().status, 503);
    let a = s.connect();
    assert_eq!((a.status, a.body_json()), (200, None));
    let a = s.connect();
    assert_eq!(a.delay, Duration::from_secs(3));
    assert!(a.ticket.is_some());
    assert_eq!(s.connect().body, r#"{"ok":false,"error":"invalid_auth"}"#);
    assert!(s.connect().ticket.is_some(), "faults used up");
    let faults: Vec<_> = s
        .model
        .record()
        .web_calls
        .iter()
        .map(|w| w.fault.is_some())
        .collect();
    assert_eq!(faults, vec![true, true, true, true, true, true, false]);
}

#[test]
fn same_inputs_same_outputs() {
    let run = || {
        let mut s = Sim::new();
        let (c, _) = s.open();
        let mut out = s.text(
            c,
            json!({"id": 1, "type": "message", "channel": "C0GENERAL", "text": "x"}),
        );
        out.extend(
            s.model
                .act(
                    s.now,
                    UserAction::Message {
                        user: "U0ALICE".into(),
                        channel: "C0GENERAL".into(),
                        text: "y".into(),
                    },
                )
                .unwrap(),
        );
        (s.connect().body, out)
    };
    assert_eq!(run(), run());
}
