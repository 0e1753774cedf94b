//! Socket Mode on virtual time: every behaviour of the mock's app side.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;
use crate::model::{
    App, DEFAULT_APP_ID, DEFAULT_APP_TOKEN, DEFAULT_TOKEN, Fault, Reject, Target, UserAction,
    WebFault, Workspace,
};

const S: Duration = Duration::from_secs(1);

struct Sim {
    model: SlackModel,
    now: Instant,
}

impl Sim {
    fn new() -> Self {
        Self::with(Workspace::default(), SocketModeConfig::default())
    }

    fn with(ws: Workspace, config: SocketModeConfig) -> Self {
        let mut model = SlackModel::new(ws);
        model.set_socket_mode_config(config);
        Sim {
            model,
            now: Instant::now(),
        }
    }

    fn advance(&mut self, d: Duration) -> Vec<ServerAction> {
        self.now += d;
        self.model.tick(self.now)
    }

    /// Runs every deadline up to `now + d` at its own instant, as a simulation would.
    fn run_for(&mut self, d: Duration) -> Vec<ServerAction> {
        let end = self.now + d;
        let mut out = Vec::new();
        while let Some(at) = self.model.next_deadline().filter(|at| *at <= end) {
            self.now = self.now.max(at);
            out.extend(self.model.tick(self.now));
        }
        self.now = end;
        out
    }

    fn open_call(&mut self, req: HttpRequest) -> Value {
        self.model.http(self.now, req).body_json().expect("json")
    }

    fn link_url(&mut self) -> String {
        let v = self.open_call(
            HttpRequest::post_form("apps.connections.open", &[]).bearer(DEFAULT_APP_TOKEN),
        );
        assert_eq!(v["ok"], true, "{v}");
        v["url"].as_str().expect("url").to_string()
    }

    fn query_of(url: &str) -> String {
        url.split_once('?').expect("query").1.to_string()
    }

    /// apps.connections.open + open; returns the connection and its opening actions.
    fn open(&mut self, suffix: &str) -> (SocketId, Vec<ServerAction>) {
        let url = self.link_url();
        let q = format!("{}{suffix}", Self::query_of(&url));
        self.model.ws_open_link(self.now, &q).expect("open")
    }

    fn open_rtm(&mut self) -> SocketId {
        let t = self
            .model
            .http(
                self.now,
                HttpRequest::post_form("rtm.connect", &[]).bearer(DEFAULT_TOKEN),
            )
            .ticket
            .expect("ticket");
        self.model.ws_open(self.now, &t).expect("open").0
    }

    fn ack(&mut self, conn: SocketId, v: Value) -> Vec<ServerAction> {
        self.model.ws_text(self.now, conn, &v.to_string())
    }

    fn slash(&mut self, text: &str) -> (String, Vec<ServerAction>) {
        self.model
            .post_slash_command(
                self.now,
                &SlashCommand::new("/deploy", text, "U0ALICE", "C0GENERAL"),
            )
            .expect("slash")
    }

    fn say(&mut self, text: &str) -> Vec<ServerAction> {
        self.model
            .act(
                self.now,
                UserAction::Message {
                    user: "U0ALICE".into(),
                    channel: "C0GENERAL".into(),
                    text: text.into(),
                },
            )
            .expect("act")
    }

    fn record(&self) -> &SocketModeRecord {
        self.model.socket_mode_record()
    }
}

fn frames_to(actions: &[ServerAction], conn: SocketId) -> Vec<Value> {
    actions
        .iter()
        .filter(|a| a.conn() == conn)
        .filter_map(ServerAction::json)
        .collect()
}

fn envelopes(actions: &[ServerAction]) -> Vec<(SocketId, Value)> {
    actions
        .iter()
        .filter_map(|a| Some((a.conn(), a.json()?)))
        .filter(|(_, v)| v.get("envelope_id").is_some())
        .collect()
}

fn short_config() -> SocketModeConfig {
    SocketModeConfig {
        connection_lifetime: Duration::from_secs(60),
        ..SocketModeConfig::default()
    }
}

#[test]
fn connections_open_takes_app_tokens_from_the_bearer_header_only() {
    let mut s = Sim::new();
    let ok =
        s.open_call(HttpRequest::post_form("apps.connections.open", &[]).bearer(DEFAULT_APP_TOKEN));
    assert_eq!(ok["ok"], true);
    let url = ok["url"].as_str().unwrap();
    assert!(url.starts_with(DEFAULT_LINK_BASE_URL), "{url}");
    assert!(url.contains("?ticket="), "{url}");
    assert!(url.ends_with(&format!("&app_id={DEFAULT_APP_ID}")), "{url}");

    let in_body = s.open_call(HttpRequest::post_form(
        "apps.connections.open",
        &[("token", DEFAULT_APP_TOKEN)],
    ));
    assert_eq!(in_body, json!({"ok": false, "error": "not_authed"}));
    let bot =
        s.open_call(HttpRequest::post_form("apps.connections.open", &[]).bearer(DEFAULT_TOKEN));
    assert_eq!(bot, json!({"ok": false, "error": "not_allowed_token_type"}));
    let unknown =
        s.open_call(HttpRequest::post_form("apps.connections.open", &[]).bearer("xapp-1-nope"));
    assert_eq!(unknown, json!({"ok": false, "error": "invalid_auth"}));
    // And the other way round: RTM does not serve app tokens.
    let rtm = s.open_call(HttpRequest::post_form("rtm.connect", &[]).bearer(DEFAULT_APP_TOKEN));
    assert_eq!(rtm, json!({"ok": false, "error": "not_allowed_token_type"}));
    // The token never lands in the record's params.
    assert!(
        s.model
            .record()
            .web_calls
            .iter()
            .all(|c| c.params.is_empty())
    );
}

#[test]
fn web_faults_apply_to_connections_open() {
    let mut s = Sim::new();
    s.model.arm_web_fault(
        WebFault::RateLimited {
            retry_after_secs: 7,
        },
        1,
    );
    let a = s.model.http(
        s.now,
        HttpRequest::post_form("apps.connections.open", &[]).bearer(DEFAULT_APP_TOKEN),
    );
    assert_eq!(a.status, 429);
    assert_eq!(a.header("retry-after"), Some("7"));
    // The fault was for one call only.
    assert!(s.link_url().starts_with(DEFAULT_LINK_BASE_URL));
}

#[test]
fn link_urls_are_single_use_and_open_only_link_connections() {
    let mut s = Sim::new();
    let q = Sim::query_of(&s.link_url());
    assert!(s.model.ws_open_link(s.now, &q).is_ok());
    assert_eq!(
        s.model.ws_open_link(s.now, &q).unwrap_err(),
        Reject::AlreadyUsed
    );
    // An RTM ticket does not open a link URL, nor a link ticket an RTM URL.
    let rtm = s
        .model
        .http(
            s.now,
            HttpRequest::post_form("rtm.connect", &[]).bearer(DEFAULT_TOKEN),
        )
        .ticket
        .unwrap();
    assert_eq!(
        s.model
            .ws_open_link(s.now, &format!("ticket={rtm}"))
            .unwrap_err(),
        Reject::UnknownTicket
    );
    let q = Sim::query_of(&s.link_url());
    let ticket = q
        .split('&')
        .next()
        .unwrap()
        .strip_prefix("ticket=")
        .unwrap()
        .to_string();
    assert_eq!(
        s.model.ws_open(s.now, &ticket).unwrap_err(),
        Reject::UnknownTicket
    );
    // Expiry is the RTM rule.
    let q = Sim::query_of(&s.link_url());
    s.advance(crate::model::TICKET_TTL);
    assert_eq!(
        s.model.ws_open_link(s.now, &q).unwrap_err(),
        Reject::Expired
    );
    assert_eq!(
        s.model.ws_open_link(s.now, "app_id=A0TESTAPP").unwrap_err(),
        Reject::UnknownTicket
    );
}

#[test]
fn hello_tells_connections_host_lifetime_and_app() {
    let mut s = Sim::new();
    let (c1, a1) = s.open("");
    let h1 = frames_to(&a1, c1);
    assert_eq!(h1.len(), 1);
    assert_eq!(h1[0]["type"], "hello");
    assert_eq!(h1[0]["num_connections"], 1);
    assert_eq!(h1[0]["connection_info"]["app_id"], DEFAULT_APP_ID);
    assert_eq!(h1[0]["debug_info"]["approximate_connection_time"], 18_060);
    assert!(h1[0]["debug_info"]["build_number"].is_u64());
    let host1 = h1[0]["debug_info"]["host"].as_str().unwrap().to_string();
    assert!(host1.starts_with("applink-"), "{host1}");

    let (c2, a2) = s.open("&debug_reconnects=true");
    let h2 = &frames_to(&a2, c2)[0];
    assert_eq!(h2["num_connections"], 2);
    assert_eq!(h2["debug_info"]["approximate_connection_time"], 360);
    assert_ne!(h2["debug_info"]["host"], host1.as_str());
    assert_eq!(s.model.connection_app(c2), Some(DEFAULT_APP_ID));
    assert_eq!(s.model.live_app_connections(DEFAULT_APP_ID), vec![c1, c2]);
}

#[test]
fn scripted_message_goes_to_rtm_as_an_event_and_to_apps_as_an_envelope() {
    let mut s = Sim::new();
    let rtm = s.open_rtm();
    let (link, _) = s.open("");
    let actions = s.say("hello app");
    let to_rtm = frames_to(&actions, rtm);
    assert_eq!(to_rtm.len(), 1);
    assert_eq!(to_rtm[0]["type"], "message");
    let to_link = frames_to(&actions, link);
    assert_eq!(to_link.len(), 1, "only the envelope, never the bare event");
    let env = &to_link[0];
    assert_eq!(env["type"], "events_api");
    assert_eq!(env["accepts_response_payload"], false);
    assert_eq!(env["retry_attempt"], 0);
    assert_eq!(env["retry_reason"], "");
    assert!(!env["envelope_id"].as_str().unwrap().is_empty());
    let p = &env["payload"];
    assert_eq!(p["type"], "event_callback");
    assert_eq!(p["team_id"], "T0TESTTEAM");
    assert_eq!(p["api_app_id"], DEFAULT_APP_ID);
    assert_eq!(p["event"], to_rtm[0], "the same event as RTM's");
    assert!(p["event_id"].as_str().unwrap().starts_with("Ev"));
    assert_eq!(p["event_time"], 1_700_000_000u64);

    let react = s
        .model
        .act(
            s.now,
            UserAction::React {
                user: "U0BOB".into(),
                channel: "C0GENERAL".into(),
                ts: None,
                reaction: "eyes".into(),
            },
        )
        .unwrap();
    let env2 = &frames_to(&react, link)[0];
    assert_eq!(env2["payload"]["event"]["type"], "reaction_added");
    assert_ne!(env2["payload"]["event_id"], p["event_id"]);
    assert_ne!(env2["envelope_id"], env["envelope_id"]);
    // Typing has no Events API counterpart.
    let typing = s
        .model
        .act(
            s.now,
            UserAction::Typing {
                user: "U0ALICE".into(),
                channel: "C0GENERAL".into(),
            },
        )
        .unwrap();
    assert!(frames_to(&typing, link).is_empty());
    assert_eq!(frames_to(&typing, rtm).len(), 1);
}

#[test]
fn rtm_bot_messages_reach_other_rtm_sessions_only() {
    let mut s = Sim::new();
    let r1 = s.open_rtm();
    let r2 = s.open_rtm();
    let (link, _) = s.open("");
    let a = s.model.ws_text(
        s.now,
        r1,
        &json!({"id": 1, "type": "message", "channel": "C0GENERAL", "text": "hi"}).to_string(),
    );
    assert_eq!(frames_to(&a, r2).len(), 1);
    assert!(frames_to(&a, link).is_empty());
}

#[test]
fn slash_commands_and_block_actions_become_envelopes_that_accept_a_response() {
    let mut s = Sim::new();
    let (link, _) = s.open("");
    let (id, a) = s.slash("now please");
    let env = &frames_to(&a, link)[0];
    assert_eq!(env["envelope_id"], id.as_str());
    assert_eq!(env["type"], "slash_commands");
    assert_eq!(env["accepts_response_payload"], true);
    let p = &env["payload"];
    assert_eq!(p["command"], "/deploy");
    assert_eq!(p["text"], "now please");
    assert_eq!(p["user_id"], "U0ALICE");
    assert_eq!(p["user_name"], "alice");
    assert_eq!(p["channel_id"], "C0GENERAL");
    assert_eq!(p["channel_name"], "general");
    assert_eq!(p["api_app_id"], DEFAULT_APP_ID);
    assert!(p["response_url"].as_str().unwrap().starts_with("https://"));
    assert!(p["trigger_id"].is_string());

    s.say("pick one");
    let (id, a) = s
        .model
        .post_block_action(
            s.now,
            &BlockAction::button("approve", "yes", "U0BOB", "C0GENERAL"),
        )
        .unwrap();
    let env = &frames_to(&a, link)[0];
    assert_eq!(env["envelope_id"], id.as_str());
    assert_eq!(env["type"], "interactive");
    assert_eq!(env["accepts_response_payload"], true);
    let p = &env["payload"];
    assert_eq!(p["type"], "block_actions");
    assert_eq!(p["user"]["id"], "U0BOB");
    assert_eq!(p["actions"][0]["action_id"], "approve");
    assert_eq!(p["actions"][0]["value"], "yes");
    assert_eq!(
        p["container"]["message_ts"],
        s.model.history("C0GENERAL").last().unwrap().ts.as_str()
    );

    // Unknown types pass through.
    let (_, a) = s
        .model
        .post_envelope(s.now, None, "future_type", &json!({"x": 1}), false)
        .unwrap();
    assert_eq!(frames_to(&a, link)[0]["type"], "future_type");
}

#[test]
fn bad_references_are_refused() {
    let mut s = Sim::new();
    let mut c = SlashCommand::new("/x", "", "U0NOBODY", "C0GENERAL");
    assert_eq!(
        s.model.post_slash_command(s.now, &c).unwrap_err(),
        ModelError::UnknownUser("U0NOBODY".into())
    );
    c.user = "U0ALICE".into();
    c.app_id = Some("A0NOPE".into());
    assert_eq!(
        s.model.post_slash_command(s.now, &c).unwrap_err(),
        ModelError::UnknownApp("A0NOPE".into())
    );
    assert!(matches!(
        s.model
            .post_block_action(s.now, &BlockAction::button("a", "b", "U0ALICE", "C0RANDOM")),
        Err(ModelError::NothingToReact(_))
    ));
}

#[test]
fn envelopes_spread_round_robin_over_connections_that_said_hello() {
    let mut s = Sim::new();
    let (c1, _) = s.open("");
    s.model.inject(s.now, Target::All, Fault::NoHello);
    let (silent, _) = s.open("");
    let (c2, _) = s.open("");
    let mut got = Vec::new();
    for i in 0..4 {
        let (_, a) = s.slash(&i.to_string());
        got.extend(envelopes(&a).into_iter().map(|(c, _)| c));
    }
    assert_eq!(got, vec![c1, c2, c1, c2]);
    assert!(!got.contains(&silent));
}

#[test]
fn unacked_envelope_is_redelivered_every_ack_timeout_up_to_three_times() {
    let mut s = Sim::new();
    let (c1, _) = s.open("");
    let (c2, _) = s.open("");
    let (id, a) = s.slash("x");
    assert_eq!(envelopes(&a)[0].0, c1);
    assert!(envelopes(&s.advance(Duration::from_millis(2_999))).is_empty());
    let mut conns = vec![c1];
    for attempt in 1..=3 {
        let a = s.advance(if attempt == 1 {
            Duration::from_millis(1)
        } else {
            3 * S
        });
        let e = envelopes(&a);
        assert_eq!(e.len(), 1, "attempt {attempt}");
        assert_eq!(e[0].1["envelope_id"], id.as_str());
        assert_eq!(e[0].1["retry_attempt"], attempt);
        assert_eq!(e[0].1["retry_reason"], "timeout");
        conns.push(e[0].0);
    }
    // Spread like any envelope: the next connection each time.
    assert_eq!(conns, vec![c1, c2, c1, c2]);
    assert!(envelopes(&s.advance(10 * S)).is_empty(), "no fourth retry");
    assert_eq!(s.record().abandoned, vec![id.clone()]);
    let sent: Vec<u32> = s
        .record()
        .deliveries(&id)
        .iter()
        .map(|d| d.retry_attempt)
        .collect();
    assert_eq!(sent, vec![0, 1, 2, 3]);
    assert!(
        s.model.next_deadline().is_some_and(|d| d > s.now),
        "only refresh timers left"
    );
}

#[test]
fn acks_stop_redelivery_and_are_recorded_with_their_payload() {
    let mut s = Sim::new();
    let (c1, _) = s.open("");
    let (id, _) = s.slash("x");
    s.advance(3 * S);
    // Acking the redelivery settles the envelope.
    s.advance(S);
    assert!(
        s.ack(c1, json!({"envelope_id": id, "payload": {"text": "done"}}))
            .is_empty()
    );
    assert!(envelopes(&s.advance(20 * S)).is_empty());
    let ack = s.record().ack_of(&id).expect("ack");
    assert_eq!(ack.conn, c1);
    assert_eq!(ack.payload, Some(json!({"text": "done"})));
    assert!(ack.known);
    // Duplicates and unknown ids are recorded as such.
    s.ack(c1, json!({"envelope_id": id}));
    s.ack(c1, json!({"envelope_id": "nope"}));
    s.ack(c1, json!({"no": "id"}));
    let acks = &s.record().acks;
    assert_eq!(acks.len(), 3);
    assert!(acks[1].known && !acks[1].first && acks[1].payload.is_none());
    assert!(!acks[2].known);
    assert!(s.record().abandoned.is_empty());
}

#[test]
fn connection_lifetime_ends_in_warning_then_refresh_requested_then_close() {
    let mut s = Sim::with(Workspace::default(), short_config());
    let (c1, hello) = s.open("");
    assert_eq!(
        frames_to(&hello, c1)[0]["debug_info"]["approximate_connection_time"],
        60
    );
    assert!(frames_to(&s.advance(49 * S), c1).is_empty());
    let w = frames_to(&s.advance(S), c1);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0]["type"], "disconnect");
    assert_eq!(w[0]["reason"], "warning");
    assert!(
        w[0]["debug_info"]["host"]
            .as_str()
            .unwrap()
            .starts_with("applink-")
    );
    // Still delivering after the warning.
    assert_eq!(envelopes(&s.slash("a").1).len(), 1);
    let r = s.advance(10 * S);
    let r: Vec<Value> = frames_to(&r, c1)
        .into_iter()
        .filter(|v| v["type"] == "disconnect")
        .collect();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["reason"], "refresh_requested");
    // No envelopes on a connection told to go.
    assert!(envelopes(&s.slash("b").1).is_empty());
    let close = s.advance(S);
    assert!(close.contains(&ServerAction::Close {
        conn: c1,
        code: 1000,
        reason: "refresh".into()
    }));
    assert!(s.model.open_connections().is_empty());
}

#[test]
fn debug_reconnects_shortens_the_lifetime() {
    let mut s = Sim::new();
    let (c1, _) = s.open("&debug_reconnects=true");
    let a = s.advance(350 * S);
    assert_eq!(frames_to(&a, c1)[0]["reason"], "warning");
    let a = s.advance(10 * S);
    assert_eq!(frames_to(&a, c1)[0]["reason"], "refresh_requested");
}

#[test]
fn refresh_on_demand_and_an_overlapping_replacement_leave_no_gap() {
    let mut s = Sim::new();
    let rtm = s.open_rtm();
    let (c1, _) = s.open("");
    let a = s.model.inject(s.now, Target::All, Fault::Refresh);
    assert_eq!(frames_to(&a, c1)[0]["reason"], "warning");
    assert!(
        frames_to(&a, rtm).is_empty(),
        "RTM connections are left alone"
    );
    // A good client opens the replacement at the warning.
    let (c2, _) = s.open("");
    let a = s.advance(10 * S);
    assert_eq!(frames_to(&a, c1)[0]["reason"], "refresh_requested");
    let (_, a) = s.slash("x");
    assert_eq!(envelopes(&a)[0].0, c2);
    s.advance(S);
    assert!(!s.model.open_connections().contains(&c1));
    let app = s.record().app(DEFAULT_APP_ID).unwrap();
    assert!(app.offline.is_empty(), "{:?}", app.offline);
    assert!(!s.record().had_gap());
}

#[test]
fn link_disabled_closes_and_refuses_the_app_until_cleared() {
    let mut s = Sim::new();
    let (c1, _) = s.open("");
    let a = s.model.inject(s.now, Target::Conn(c1), Fault::LinkDisabled);
    assert_eq!(frames_to(&a, c1)[0]["reason"], "link_disabled");
    assert!(
        a.iter()
            .any(|x| matches!(x, ServerAction::Close { conn, .. } if *conn == c1))
    );
    let (c2, a) = s.open("");
    let f = frames_to(&a, c2);
    assert_eq!(f.len(), 1, "no hello: {f:?}");
    assert_eq!(f[0]["reason"], "link_disabled");
    assert!(s.model.open_connections().is_empty());
    s.model.inject(s.now, Target::All, Fault::Clear);
    let (c3, a) = s.open("");
    assert_eq!(frames_to(&a, c3)[0]["type"], "hello");
}

#[test]
fn envelopes_due_while_the_app_is_offline_are_queued_and_counted_as_a_gap() {
    let mut s = Sim::new();
    // Before the first connection: queued, not a gap.
    s.say("early");
    let (c1, a) = s.open("");
    let e = envelopes(&a);
    assert_eq!(e.len(), 1, "delivered after hello");
    assert_eq!(e[0].0, c1);
    assert_eq!(
        s.record()
            .app(DEFAULT_APP_ID)
            .unwrap()
            .queued_before_first_hello,
        1
    );
    assert!(!s.record().had_gap());
    s.ack(c1, json!({"envelope_id": e[0].1["envelope_id"]}));

    s.advance(S);
    let closed_at = s.now;
    s.model.inject(s.now, Target::Conn(c1), Fault::DropTcp);
    s.advance(S);
    let (id, a) = s.slash("while offline");
    assert!(envelopes(&a).is_empty());
    s.advance(S);
    // A connection without hello does not end the gap.
    s.model
        .inject(s.now, Target::All, Fault::LateHello { delay: 2 * S });
    let (c2, a) = s.open("");
    assert!(envelopes(&a).is_empty());
    let a = s.advance(2 * S);
    let e = envelopes(&a);
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].0, e[0].1["envelope_id"].as_str()),
        (c2, Some(id.as_str()))
    );
    let app = s.record().app(DEFAULT_APP_ID).unwrap();
    assert_eq!(app.offline.len(), 1);
    let o = &app.offline[0];
    assert_eq!(o.from, closed_at);
    assert_eq!(o.until, Some(s.now));
    assert_eq!(o.envelopes_due, vec![(id.clone(), 0)]);
    assert!(app.had_gap());
    assert!(s.record().deliveries(&id)[0].after_gap);
}

#[test]
fn half_open_connection_swallows_envelopes_which_then_go_elsewhere() {
    let mut s = Sim::new();
    let (c1, _) = s.open("");
    let (c2, _) = s.open("");
    let a = s.model.inject(s.now, Target::Conn(c1), Fault::HalfOpen);
    assert_eq!(a, vec![ServerAction::HalfOpen { conn: c1 }]);
    let (id, a) = s.slash("x");
    // Slack believes c1 is fine: it "sends" there, nothing reaches the wire.
    assert!(a.is_empty());
    assert_eq!(s.record().deliveries(&id)[0].conn, c1);
    // Frames from the client do not get through either.
    s.ack(c1, json!({"envelope_id": id}));
    assert!(s.record().acks.is_empty());
    let a = s.advance(3 * S);
    assert_eq!(envelopes(&a)[0].0, c2);
    assert!(s.model.record().conn(c1).unwrap().half_open);
}

#[test]
fn socket_faults_apply_to_link_connections() {
    let mut s = Sim::new();
    let (c1, _) = s.open("");
    let a = s.model.inject(
        s.now,
        Target::Conn(c1),
        Fault::RawText {
            text: "{garbage".into(),
        },
    );
    assert_eq!(a[0].text(), Some("{garbage"));
    let a = s.model.inject(
        s.now,
        Target::Conn(c1),
        Fault::Close {
            code: 4000,
            reason: "bye".into(),
        },
    );
    assert!(matches!(a[0], ServerAction::Close { code: 4000, .. }));
    assert!(s.model.live_app_connections(DEFAULT_APP_ID).is_empty());
    s.model.inject(s.now, Target::All, Fault::ExpiredUrl);
    let (c2, a) = s.open("");
    assert_eq!(frames_to(&a, c2)[0]["type"], "error");
    // An oversized frame is closed with 1009 as on RTM.
    let (c3, _) = s.open("");
    let a = s
        .model
        .ws_text(s.now, c3, &"x".repeat(crate::model::MAX_FRAME_BYTES + 1));
    assert!(matches!(a[0], ServerAction::Close { code: 1009, .. }));
}

#[test]
fn every_app_gets_its_own_envelope() {
    let ws = Workspace::default().with_app(App::new("A0OTHER", "other", "xapp-1-A0OTHER-x"));
    let mut s = Sim::with(ws, SocketModeConfig::default());
    let (c1, _) = s.open("");
    let v = s
        .open_call(HttpRequest::post_form("apps.connections.open", &[]).bearer("xapp-1-A0OTHER-x"));
    let q = Sim::query_of(v["url"].as_str().unwrap());
    let (c2, a) = s.model.ws_open_link(s.now, &q).unwrap();
    assert_eq!(frames_to(&a, c2)[0]["connection_info"]["app_id"], "A0OTHER");
    assert_eq!(frames_to(&a, c2)[0]["num_connections"], 1);
    let a = s.say("both");
    let e = envelopes(&a);
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].1["payload"]["api_app_id"], DEFAULT_APP_ID);
    assert_eq!(e[0].0, c1);
    assert_eq!(e[1].1["payload"]["api_app_id"], "A0OTHER");
    assert_eq!(e[1].0, c2);
    assert_ne!(e[0].1["payload"]["event_id"], e[1].1["payload"]["event_id"]);
}

#[test]
fn same_inputs_same_envelopes() {
    let run = || {
        let mut s = Sim::new();
        let (c, _) = s.open("");
        let mut out = Vec::new();
        out.extend(s.say("a"));
        out.extend(s.slash("b").1);
        out.extend(s.advance(3 * S));
        (c, out)
    };
    assert_eq!(run(), run());
}

mod props {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        Open { debug: bool },
        Slash,
        Say,
        AckLast,
        Advance(u64),
        Fault(u8, Fault),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => any::<bool>().prop_map(|debug| Op::Open { debug }),
            4 => Just(Op::Slash),
            2 => Just(Op::Say),
            3 => Just(Op::AckLast),
            6 => (0u64..5_000).prop_map(Op::Advance),
            3 => (0u8..4, prop_oneof![
                Just(Fault::DropTcp),
                Just(Fault::HalfOpen),
                Just(Fault::Refresh),
                Just(Fault::NoHello),
                (0u64..3_000).prop_map(|ms| Fault::LateHello { delay: Duration::from_millis(ms) }),
                Just(Fault::Close { code: 4000, reason: String::new() }),
            ]).prop_map(|(c, f)| Op::Fault(c, f)),
        ]
    }

    /// A fixed seed unless `SIM_PROPS_SEED` says otherwise (as in tests/sim_props.rs), so a
    /// failure reproduces without a file.
    fn seed() -> proptest::test_runner::RngSeed {
        use proptest::test_runner::RngSeed;
        match std::env::var("SIM_PROPS_SEED") {
            Ok(v) if v == "random" => RngSeed::Random,
            Ok(v) => RngSeed::Fixed(v.parse().expect("SIM_PROPS_SEED: a u64 or `random`")),
            Err(_) => RngSeed::Fixed(0x0005_0ce7),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 300,
            rng_seed: seed(),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Whatever happens to the connections: an envelope's attempts are 0, 1, … at most
        /// 3, one ack timeout apart, only on connections that were open, never after its
        /// ack; and with a connection back every envelope ends acked or abandoned.
        #[test]
        fn deliveries_stay_within_the_rules(ops in prop::collection::vec(op(), 1..60)) {
            let mut s = Sim::with(Workspace::default(), short_config());
            let mut ids = Vec::new();
            let mut last: Option<(SocketId, String)> = None;
            for op in ops {
                let actions = match op {
                    Op::Open { debug } => s.open(if debug { "&debug_reconnects=true" } else { "" }).1,
                    Op::Slash => {
                        let (id, a) = s.slash("x");
                        ids.push(id);
                        a
                    }
                    Op::Say => s.say("hi"),
                    Op::AckLast => match last.take() {
                        Some((c, id)) => s.ack(c, json!({"envelope_id": id})),
                        None => Vec::new(),
                    },
                    Op::Advance(ms) => s.advance(Duration::from_millis(ms)),
                    Op::Fault(c, f) => s.model.inject(s.now, Target::Conn(SocketId(u64::from(c) + 1)), f),
                };
                if let Some((c, e)) = envelopes(&actions).last() {
                    last = Some((*c, e["envelope_id"].as_str().unwrap().to_string()));
                }
            }
            // Every envelope, the events' too.
            let all: BTreeSet<String> = s.record().envelopes_sent.iter().map(|e| e.envelope_id.clone())
                .chain(ids).collect();
            let timeout = s.model.socket_mode_config().ack_timeout;
            for id in &all {
                let d = s.record().deliveries(id);
                prop_assert!(d.len() <= 4, "{id}: {} deliveries", d.len());
                for (i, e) in d.iter().enumerate() {
                    prop_assert_eq!(e.retry_attempt as usize, i);
                    if i > 0 {
                        prop_assert!(e.at >= d[i - 1].at + timeout);
                    }
                    let c = s.model.record().conn(e.conn).expect("a known connection");
                    prop_assert!(c.opened_at <= e.at && c.closed_at.is_none_or(|t| t >= e.at));
                    if let Some(a) = s.record().ack_of(id) {
                        prop_assert!(e.at <= a.at, "{id} delivered after its ack");
                    }
                }
            }
            // A healthy connection back: everything settles.
            s.model.inject(s.now, Target::All, Fault::Clear);
            s.open("");
            s.run_for(20 * S);
            for id in &all {
                let settled = s.record().ack_of(id).is_some() || s.record().abandoned.contains(id);
                prop_assert!(settled, "{id} neither acked nor abandoned");
            }
        }
    }
}
