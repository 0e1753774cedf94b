//! `chat.postMessage` on virtual time: answers, errors, rate limit, delivery, faults, record.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;

const S: Duration = Duration::from_secs(1);

struct Sim {
    model: SlackModel,
    now: Instant,
}

impl Sim {
    fn new() -> Self {
        Self::with(Workspace::default())
    }

    fn with(ws: Workspace) -> Self {
        Sim {
            model: SlackModel::new(ws),
            now: Instant::now(),
        }
    }

    fn call(&mut self, req: HttpRequest) -> (HttpAnswer, Vec<ServerAction>) {
        self.model.http_call(self.now, req)
    }

    /// A form post with the default bot token.
    fn post(&mut self, params: &[(&str, &str)]) -> (HttpAnswer, Vec<ServerAction>) {
        self.call(HttpRequest::post_form(CHAT_POST_MESSAGE, params).bearer(DEFAULT_TOKEN))
    }

    fn post_text(&mut self, channel: &str, text: &str) -> HttpAnswer {
        self.post(&[("channel", channel), ("text", text)]).0
    }

    fn error(&mut self, req: HttpRequest) -> String {
        let (a, actions) = self.call(req);
        assert_eq!(a.status, 200, "{}", a.body);
        assert!(actions.is_empty());
        let v = a.body_json().expect("json");
        assert_eq!(v["ok"], false, "{v}");
        v["error"].as_str().expect("error").to_string()
    }

    fn open_rtm(&mut self) -> SocketId {
        let a = self.model.http(
            self.now,
            HttpRequest::post_form("rtm.connect", &[]).bearer(DEFAULT_TOKEN),
        );
        let t = a.ticket.expect("ticket");
        self.model.ws_open(self.now, &t).expect("open").0
    }

    fn open_link(&mut self) -> SocketId {
        let a = self.model.http(
            self.now,
            HttpRequest::post_form("apps.connections.open", &[]).bearer(DEFAULT_APP_TOKEN),
        );
        let url = a.body_json().unwrap()["url"].as_str().unwrap().to_string();
        let query = url.split_once('?').unwrap().1.to_string();
        self.model.ws_open_link(self.now, &query).expect("open").0
    }
}

fn json_post(token: Option<&str>, body: &Value) -> HttpRequest {
    let req = HttpRequest {
        method: "POST".into(),
        api_method: CHAT_POST_MESSAGE.into(),
        query: String::new(),
        headers: vec![(
            "content-type".into(),
            "application/json; charset=utf-8".into(),
        )],
        body: body.to_string().into_bytes(),
    };
    match token {
        Some(t) => req.bearer(t),
        None => req,
    }
}

fn form(params: &[(&str, &str)]) -> HttpRequest {
    HttpRequest::post_form(CHAT_POST_MESSAGE, params)
}

#[test]
fn posts_as_the_bot_and_answers_like_slack() {
    let mut s = Sim::new();
    let (a, _) = s.post(&[
        ("channel", "C0GENERAL"),
        ("text", "Deploy done <ok> & fine"),
    ]);
    assert_eq!(a.status, 200);
    let v = a.body_json().unwrap();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["channel"], "C0GENERAL");
    let ts = v["ts"].as_str().unwrap();
    assert_eq!(ts, "1700000000.000000");
    let m = &v["message"];
    assert_eq!(m["type"], "message");
    assert_eq!(m["text"], "Deploy done <ok> & fine");
    assert_eq!(m["user"], "U0BOT");
    assert_eq!(m["bot_id"], "B0BOT");
    assert_eq!(m["ts"], ts);
    assert!(m.get("thread_ts").is_none() && m.get("blocks").is_none());
    assert!(
        a.body
            .starts_with(r#"{"ok":true,"channel":"C0GENERAL","ts":"#)
    );

    let h = s.model.history("C0GENERAL");
    assert_eq!(h.len(), 1);
    assert_eq!(
        h[0],
        HistoryEntry {
            ts: ts.into(),
            user: "U0BOT".into(),
            text: "Deploy done <ok> & fine".into(),
            thread_ts: None,
        }
    );
    let p = &s.model.posts()[0];
    assert!(p.posted());
    assert_eq!(p.ts.as_deref(), Some(ts));
    assert_eq!(p.token_kind, TokenKind::Bot);
    assert_eq!(p.channel.as_deref(), Some("C0GENERAL"));
    assert_eq!(p.status, 200);
    assert_eq!(p.error, None);
    assert_eq!(s.model.record().web_calls[0].api_method, CHAT_POST_MESSAGE);
}

#[test]
fn json_body_with_blocks_and_thread() {
    let mut s = Sim::new();
    let parent = s.post_text("C0GENERAL", "parent").body_json().unwrap()["ts"]
        .as_str()
        .unwrap()
        .to_string();
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]);
    let (a, _) = s.call(json_post(
        Some(DEFAULT_TOKEN),
        &json!({"channel": "C0GENERAL", "text": "hi", "thread_ts": parent,
                "blocks": blocks, "mrkdwn": true}),
    ));
    let v = a.body_json().unwrap();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["message"]["thread_ts"], parent.as_str());
    assert_eq!(v["message"]["blocks"], blocks);
    let h = s.model.history("C0GENERAL");
    assert_eq!(h[1].thread_ts.as_deref(), Some(parent.as_str()));
    assert_eq!(
        s.model.posts()[1].thread_ts.as_deref(),
        Some(parent.as_str())
    );

    // Blocks alone are enough; in a form they are JSON text.
    let (a, _) = s.post(&[("channel", "C0RANDOM"), ("blocks", &blocks.to_string())]);
    let v = a.body_json().unwrap();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["message"]["text"], "");
    assert_eq!(v["message"]["blocks"], blocks);
}

#[test]
fn token_from_form_param_or_bearer_and_app_bot_token() {
    let ws = Workspace::default()
        .with_app(App::new("A0OTHER", "other", "xapp-1-other").with_bot_token("xoxb-other-bot"));
    let mut s = Sim::with(ws);
    let (a, _) = s.call(form(&[
        ("token", DEFAULT_TOKEN),
        ("channel", "C0GENERAL"),
        ("text", "hi"),
    ]));
    assert_eq!(a.body_json().unwrap()["ok"], true);
    let (a, _) = s.call(form(&[("channel", "C0GENERAL"), ("text", "hi")]).bearer("xoxb-other-bot"));
    assert_eq!(a.body_json().unwrap()["ok"], true, "{}", a.body);
    // The app's bot token is no RTM token.
    let a = s.model.http(
        s.now,
        HttpRequest::post_form("rtm.connect", &[]).bearer("xoxb-other-bot"),
    );
    assert_eq!(a.body_json().unwrap()["error"], "invalid_auth");
    assert_eq!(s.model.bot_token().as_deref(), Some(DEFAULT_TOKEN));
    // The token never shows in the record's params.
    assert!(
        s.model.record().web_calls[0]
            .params
            .iter()
            .all(|(k, _)| k != "token")
    );
}

#[test]
fn every_error_as_slack_words_it() {
    let ws = Workspace::default().with_channel(Channel::public("C0NOBOT", "nobot", &["U0ALICE"]));
    let mut s = Sim::with(ws);
    let ok = [("channel", "C0GENERAL"), ("text", "hi")];
    assert_eq!(s.error(form(&ok)), "not_authed");
    assert_eq!(s.error(form(&ok).bearer("xoxb-wrong")), "invalid_auth");
    assert_eq!(
        s.error(form(&ok).bearer(DEFAULT_APP_TOKEN)),
        "not_allowed_token_type"
    );
    let bot = |p: &[(&str, &str)]| form(p).bearer(DEFAULT_TOKEN);
    assert_eq!(
        s.error(bot(&[("channel", "C0NOPE"), ("text", "hi")])),
        "channel_not_found"
    );
    assert_eq!(s.error(bot(&[("text", "hi")])), "channel_not_found");
    assert_eq!(
        s.error(bot(&[("channel", "C0NOBOT"), ("text", "hi")])),
        "not_in_channel"
    );
    let long = "x".repeat(MAX_POST_TEXT_CHARS + 1);
    assert_eq!(
        s.error(bot(&[("channel", "C0GENERAL"), ("text", &long)])),
        "msg_too_long"
    );
    assert_eq!(s.error(bot(&[("channel", "C0GENERAL")])), "no_text");
    assert_eq!(
        s.error(bot(&[("channel", "C0GENERAL"), ("text", "")])),
        "no_text"
    );
    assert_eq!(
        s.error(bot(&[("channel", "C0GENERAL"), ("blocks", "[]")])),
        "no_text"
    );
    for blocks in ["not json", r#"{"type":"section"}"#] {
        assert_eq!(
            s.error(bot(&[
                ("channel", "C0GENERAL"),
                ("text", "hi"),
                ("blocks", blocks)
            ])),
            "invalid_blocks"
        );
    }
    assert_eq!(
        s.error(json_post(
            Some(DEFAULT_TOKEN),
            &json!({"channel": "C0GENERAL", "text": "hi", "blocks": {"type": "section"}})
        )),
        "invalid_blocks"
    );
    assert_eq!(
        s.error(bot(&[
            ("channel", "C0GENERAL"),
            ("text", "hi"),
            ("thread_ts", "yesterday")
        ])),
        "invalid_thread_ts"
    );
    let mut bad_json = json_post(Some(DEFAULT_TOKEN), &json!(null));
    bad_json.body = b"{not json".to_vec();
    assert_eq!(s.error(bad_json), "invalid_json");
    assert_eq!(
        s.error(json_post(
            None,
            &json!({"channel": "C0GENERAL", "text": "hi"})
        )),
        "not_authed"
    );
    // Nothing was posted, every attempt is on record with its error.
    assert!(s.model.history("C0GENERAL").is_empty());
    let posts = s.model.posts();
    assert_eq!(posts.len(), 16);
    assert!(posts.iter().all(|p| !p.posted() && p.status == 200));
    assert_eq!(posts[0].token_kind, TokenKind::None);
    assert_eq!(posts[2].token_kind, TokenKind::App);
    assert_eq!(posts[5].error.as_deref(), Some("not_in_channel"));
    // Exactly the limit is fine.
    let max = "y".repeat(MAX_POST_TEXT_CHARS);
    assert_eq!(
        s.post_text("C0GENERAL", &max).body_json().unwrap()["ok"],
        true
    );
}

fn status_and_retry(a: &HttpAnswer) -> (u16, Option<&str>) {
    (a.status, a.header("retry-after"))
}

#[test]
fn rate_limit_bursts_then_one_per_second_on_model_time() {
    let mut s = Sim::new();
    for _ in 0..3 {
        assert_eq!(
            status_and_retry(&s.post_text("C0GENERAL", "x")),
            (200, None)
        );
    }
    let a = s.post_text("C0GENERAL", "x");
    assert_eq!(status_and_retry(&a), (429, Some("1")));
    assert_eq!(a.body, r#"{"ok":false,"error":"ratelimited"}"#);
    // Another channel has its own budget.
    assert_eq!(s.post_text("C0RANDOM", "x").status, 200);
    // Still too early 400 ms later: Retry-After rounds the 600 ms up.
    s.now += Duration::from_millis(400);
    assert_eq!(
        status_and_retry(&s.post_text("C0GENERAL", "x")),
        (429, Some("1"))
    );
    s.now += Duration::from_millis(600);
    assert_eq!(s.post_text("C0GENERAL", "x").status, 200);
    assert_eq!(s.post_text("C0GENERAL", "x").status, 429);
    // Steady one per second holds forever.
    for _ in 0..10 {
        s.now += S;
        assert_eq!(s.post_text("C0GENERAL", "x").status, 200);
    }
    // A quiet spell refills the burst, no more.
    s.now += 10 * S;
    let statuses: Vec<u16> = (0..4)
        .map(|_| s.post_text("C0GENERAL", "x").status)
        .collect();
    assert_eq!(statuses, [200, 200, 200, 429]);
    let rec: Vec<_> = s.model.posts().iter().filter(|p| p.status == 429).collect();
    assert_eq!(rec.len(), 4);
    assert!(rec.iter().all(|p| p.error.as_deref() == Some("ratelimited")
        && p.retry_after_secs == Some(1)
        && p.fault.is_none()));
    // Rate-limited posts are not in the history.
    assert_eq!(s.model.history("C0GENERAL").len(), 3 + 1 + 10 + 3);
}

#[test]
fn rate_limit_is_configurable_and_can_be_switched_off() {
    let mut s = Sim::new();
    s.model.set_chat_config(ChatConfig {
        rate_limit: Some(RateLimit {
            burst: 1,
            interval: 5 * S,
        }),
    });
    assert_eq!(s.post_text("C0GENERAL", "x").status, 200);
    assert_eq!(
        status_and_retry(&s.post_text("C0GENERAL", "x")),
        (429, Some("5"))
    );
    s.now += 2 * S;
    assert_eq!(
        status_and_retry(&s.post_text("C0GENERAL", "x")),
        (429, Some("3"))
    );
    s.model.set_chat_config(ChatConfig::unthrottled());
    let ts: Vec<String> = (0..200)
        .map(|i| {
            let a = s.post_text("C0GENERAL", &format!("m{i}"));
            assert_eq!(a.status, 200);
            a.body_json().unwrap()["ts"].as_str().unwrap().to_string()
        })
        .collect();
    // ts are unique and increasing even at one instant.
    for w in ts.windows(2) {
        assert!(w[0] < w[1], "{} !< {}", w[0], w[1]);
    }
    let history: Vec<&str> = s
        .model
        .history("C0GENERAL")
        .iter()
        .map(|h| h.ts.as_str())
        .collect();
    assert_eq!(
        history[1..],
        ts.iter().map(String::as_str).collect::<Vec<_>>()[..]
    );
}

#[test]
fn ts_follow_model_time_and_interleave_with_rtm() {
    let mut s = Sim::new();
    let a = s.post_text("C0GENERAL", "one");
    assert_eq!(a.body_json().unwrap()["ts"], "1700000000.000000");
    s.now += Duration::from_millis(1500);
    let conn = s.open_rtm();
    let rtm = s.model.ws_text(
        s.now,
        conn,
        &json!({"id": 1, "type": "message", "channel": "C0GENERAL", "text": "two"}).to_string(),
    );
    let ack = rtm.iter().find_map(ServerAction::json).unwrap();
    let a = s.post_text("C0GENERAL", "three");
    let ts3 = a.body_json().unwrap()["ts"].as_str().unwrap().to_string();
    assert_eq!(ack["ts"], "1700000001.500000");
    assert_eq!(ts3, "1700000001.500001");
    let texts: Vec<&str> = s
        .model
        .history("C0GENERAL")
        .iter()
        .map(|h| h.text.as_str())
        .collect();
    assert_eq!(texts, ["one", "two", "three"]);
}

#[test]
fn rtm_sockets_hear_the_post_socket_mode_does_not() {
    let mut s = Sim::new();
    let a = s.open_rtm();
    let b = s.open_rtm();
    let link = s.open_link();
    let before = s.model.socket_mode_record().envelopes_sent.len();
    let (ans, actions) = s.post(&[
        ("channel", "C0GENERAL"),
        ("text", "hello"),
        ("thread_ts", "1700000000.000100"),
    ]);
    let ts = ans.body_json().unwrap()["ts"].as_str().unwrap().to_string();
    let conns: Vec<SocketId> = actions.iter().map(ServerAction::conn).collect();
    assert_eq!(
        conns,
        [a, b],
        "the poster's own RTM sessions too, not {link}"
    );
    let ev = actions[0].json().unwrap();
    assert_eq!(ev["type"], "message");
    assert_eq!(ev["user"], "U0BOT");
    assert_eq!(ev["bot_id"], "B0BOT");
    assert_eq!(ev["channel"], "C0GENERAL");
    assert_eq!(ev["text"], "hello");
    assert_eq!(ev["ts"], ts.as_str());
    assert_eq!(ev["thread_ts"], "1700000000.000100");
    assert!(
        ev.get("subtype").is_none(),
        "a bot user's post has no subtype"
    );
    assert_eq!(ev["blocks"][0]["type"], "rich_text");
    assert_eq!(
        s.model
            .record()
            .conn(a)
            .unwrap()
            .to_client_of_type("message")
            .len(),
        1
    );
    assert_eq!(s.model.socket_mode_record().envelopes_sent.len(), before);
    // Refused posts deliver nothing.
    let (_, actions) = s.post(&[("channel", "C0GENERAL")]);
    assert!(actions.is_empty());
    // `http` answers the same but drops the deliveries.
    let ans = s.model.http(
        s.now,
        form(&[("channel", "C0GENERAL"), ("text", "x")]).bearer(DEFAULT_TOKEN),
    );
    assert_eq!(ans.body_json().unwrap()["ok"], true);
}

#[test]
fn web_faults_aim_at_session_calls_unless_told_otherwise() {
    let mut s = Sim::new();
    s.model.arm_web_fault(WebFault::invalid_auth(), 1);
    // Not consumed by a post...
    assert_eq!(
        s.post_text("C0GENERAL", "x").body_json().unwrap()["ok"],
        true
    );
    // ...but by the next rtm.connect.
    let a = s.model.http(
        s.now,
        HttpRequest::post_form("rtm.connect", &[]).bearer(DEFAULT_TOKEN),
    );
    assert_eq!(a.body_json().unwrap()["error"], "invalid_auth");
    assert_eq!(
        s.model.record().web_calls[1].fault,
        Some(WebFault::invalid_auth())
    );
}

#[test]
fn web_faults_aimed_at_chat_post_message() {
    let mut s = Sim::new();
    s.model.set_chat_config(ChatConfig::unthrottled());
    let m = CHAT_POST_MESSAGE;
    s.model.arm_web_fault_for(
        m,
        WebFault::RateLimited {
            retry_after_secs: 7,
        },
        2,
    );
    s.model
        .arm_web_fault_for(m, WebFault::Status { status: 503 }, 1);
    s.model.arm_web_fault_for(
        m,
        WebFault::Error {
            error: "internal_error".into(),
        },
        1,
    );
    s.model
        .arm_web_fault_for(m, WebFault::Slow { delay: 4 * S }, 1);
    s.model
        .arm_web_fault_for("*", WebFault::Status { status: 500 }, 1);
    // A session fault queued meanwhile is left for rtm.connect.
    s.model.arm_web_fault(WebFault::NotJson, 1);

    let rtm_first = s.model.http(
        s.now,
        HttpRequest::post_form("rtm.connect", &[]).bearer(DEFAULT_TOKEN),
    );
    assert_eq!(
        rtm_first.status, 500,
        "the \"*\" fault is the first aimed at rtm.connect"
    );

    for _ in 0..2 {
        let (a, actions) = s.post(&[("channel", "C0GENERAL"), ("text", "x")]);
        assert_eq!(status_and_retry(&a), (429, Some("7")));
        assert_eq!(a.body, r#"{"ok":false,"error":"ratelimited"}"#);
        assert!(actions.is_empty());
    }
    let (a, _) = s.post(&[("channel", "C0GENERAL"), ("text", "x")]);
    assert_eq!(a.status, 503);
    let (a, _) = s.post(&[("channel", "C0GENERAL"), ("text", "x")]);
    assert_eq!(a.body, r#"{"ok":false,"error":"internal_error"}"#);
    assert!(s.model.history("C0GENERAL").is_empty());
    // Slow: posted at once, answered late.
    let (a, _) = s.post(&[("channel", "C0GENERAL"), ("text", "slow")]);
    assert_eq!(a.delay, 4 * S);
    assert_eq!(a.body_json().unwrap()["ok"], true);
    assert_eq!(s.model.history("C0GENERAL").len(), 1);
    let (a, _) = s.post(&[("channel", "C0GENERAL"), ("text", "x")]);
    assert_eq!((a.status, a.delay), (200, Duration::ZERO));

    let a = s.model.http(
        s.now,
        HttpRequest::post_form("rtm.connect", &[]).bearer(DEFAULT_TOKEN),
    );
    assert_eq!(a.status, 200);
    assert!(a.body_json().is_none(), "the NotJson session fault");

    let posts = s.model.posts();
    let seen: Vec<(u16, Option<&str>, Option<u64>)> = posts
        .iter()
        .map(|p| (p.status, p.error.as_deref(), p.retry_after_secs))
        .collect();
    assert_eq!(
        seen,
        [
            (429, Some("ratelimited"), Some(7)),
            (429, Some("ratelimited"), Some(7)),
            (503, None, None),
            (200, Some("internal_error"), None),
            (200, None, None),
            (200, None, None),
        ]
    );
    assert_eq!(
        posts[0].fault,
        Some(WebFault::RateLimited {
            retry_after_secs: 7
        })
    );
    assert!(posts[4].posted() && posts[4].fault.is_some());
    assert!(posts[5].fault.is_none());
    // Clear disarms them all.
    s.model
        .arm_web_fault_for(m, WebFault::Status { status: 500 }, 5);
    s.model.inject(s.now, Target::All, Fault::Clear);
    assert_eq!(s.post_text("C0GENERAL", "x").status, 200);
}
