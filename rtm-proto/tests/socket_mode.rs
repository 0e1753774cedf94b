//! The Socket Mode client on virtual time: one test per behaviour, and one per failure of
//! today's clients listed in SOCKET-MODE.md §4.

use std::time::{Duration, Instant};

use rtm_proto::{
    AckError, Action, Client, Config, ConnId, DisconnectReason, EnvelopeType, Input, RefreshReason,
    SocketModeClient, SocketModeConfig, SocketModeError, SocketModeEvent, StartOptions, State,
    WebMethod, WebResponse,
};

const S: fn(u64) -> Duration = Duration::from_secs;
const MS: fn(u64) -> Duration = Duration::from_millis;

struct H {
    c: SocketModeClient,
    t0: Instant,
    now: Instant,
}

fn ok_url(app: &str) -> String {
    format!(r#"{{"ok":true,"url":"wss://wss-primary.slack.com/link/?ticket=t1&app_id={app}"}}"#)
}

fn resp(status: u16, body: &str) -> Result<WebResponse, rtm_proto::TransportError> {
    Ok(WebResponse {
        status,
        retry_after: None,
        location: None,
        body: body.to_owned(),
    })
}

fn hello(secs: u64) -> String {
    format!(
        r#"{{"type":"hello","num_connections":2,"debug_info":{{"host":"applink-1","build_number":105,"approximate_connection_time":{secs}}},"connection_info":{{"app_id":"A123"}}}}"#
    )
}

fn events_api(id: &str, attempt: u32, event_id: &str) -> String {
    format!(
        r#"{{"envelope_id":"{id}","type":"events_api","accepts_response_payload":false,"retry_attempt":{attempt},"retry_reason":"{}","payload":{{"type":"event_callback","team_id":"T1","event":{{"type":"message","subtype":"bot_message","text":"hi"}},"event_id":"{event_id}","event_time":1}}}}"#,
        if attempt > 0 { "timeout" } else { "" }
    )
}

fn slash(id: &str) -> String {
    format!(
        r#"{{"envelope_id":"{id}","type":"slash_commands","accepts_response_payload":true,"payload":{{"command":"/hi","text":"x"}}}}"#
    )
}

fn sm(actions: &[Action]) -> Vec<&SocketModeEvent> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SocketMode(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn web_calls(actions: &[Action]) -> Vec<ConnId> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::CallWebApi { conn, .. } => Some(*conn),
            _ => None,
        })
        .collect()
}

fn texts(actions: &[Action]) -> Vec<(ConnId, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SendText { conn, text } => Some((*conn, text.clone())),
            _ => None,
        })
        .collect()
}

impl H {
    fn new(config: SocketModeConfig) -> H {
        let t0 = Instant::now();
        H {
            c: SocketModeClient::new(config).unwrap(),
            t0,
            now: t0,
        }
    }

    fn default() -> H {
        H::new(SocketModeConfig::default())
    }

    fn feed(&mut self, input: Input) -> Vec<Action> {
        let actions = self.c.handle_input(self.now, input);
        assert!(self.c.sockets().len() <= 2, "never more than two sockets");
        if !matches!(self.c.state(), State::Disconnected | State::Connected(_)) {
            assert!(
                self.c.next_deadline().is_some(),
                "{:?} owes a deadline",
                self.c.state()
            );
        }
        actions
    }

    /// Moves virtual time to `t0 + at` and ticks.
    fn tick_at(&mut self, at: Duration) -> Vec<Action> {
        self.now = self.now.max(self.t0 + at);
        self.feed(Input::Tick)
    }

    /// Ticks at every deadline until `t0 + until`, collecting the actions.
    fn run_to(&mut self, until: Duration) -> Vec<Action> {
        let end = self.t0 + until;
        let mut all = Vec::new();
        while let Some(d) = self.c.next_deadline().filter(|d| *d <= end) {
            self.now = self.now.max(d);
            all.extend(self.feed(Input::Tick));
        }
        self.now = self.now.max(end);
        all
    }

    fn text(&mut self, conn: ConnId, text: &str) -> Vec<Action> {
        self.feed(Input::WsText {
            conn,
            text: text.to_owned(),
        })
    }

    /// From a web call of `conn` to `hello`; returns the actions of the hello.
    fn open(&mut self, conn: ConnId, lifetime: u64) -> Vec<Action> {
        let a = self.feed(Input::WebApiResult {
            conn,
            result: resp(200, &ok_url("A123")),
        });
        assert!(
            matches!(a[..], [Action::OpenWebSocket { conn: c, .. }] if c == conn),
            "{a:?}"
        );
        assert!(
            !self
                .feed(Input::WsOpened { conn })
                .iter()
                .any(|a| matches!(a, Action::Ignored { .. }))
        );
        self.text(conn, &hello(lifetime))
    }

    fn start(&mut self) -> ConnId {
        let a = self.feed(Input::Start(StartOptions::new("xapp-1-A123-secret")));
        web_calls(&a)[0]
    }

    fn connect(&mut self) -> ConnId {
        let conn = self.start();
        self.open(conn, 18_060);
        assert_eq!(self.c.live_conn(), Some(conn));
        conn
    }

    fn ack(&mut self, id: &str, payload: Option<&str>) -> Vec<Action> {
        self.feed(Input::Ack {
            envelope_id: id.to_owned(),
            payload: payload.map(str::to_owned),
        })
    }
}

fn ack_result<'a>(actions: &'a [Action], id: &str) -> &'a Result<(), AckError> {
    let settles: Vec<_> = sm(actions)
        .into_iter()
        .filter_map(|e| match e {
            SocketModeEvent::AckSettled {
                envelope_id,
                result,
            } if envelope_id == id => Some(result),
            _ => None,
        })
        .collect();
    assert_eq!(
        settles.len(),
        1,
        "every ack settles exactly once: {actions:?}"
    );
    settles[0]
}

fn delivered(actions: &[Action]) -> Vec<String> {
    sm(actions)
        .into_iter()
        .filter_map(|e| match e {
            SocketModeEvent::Envelope(env) => Some(env.envelope_id().to_owned()),
            _ => None,
        })
        .collect()
}

// ---- apps.connections.open ----

#[test]
fn the_web_call_is_apps_connections_open_with_the_app_token_and_an_empty_form() {
    let mut h = H::default();
    let a = h.feed(Input::Start(StartOptions::new("xapp-1-A123-secret")));
    let [
        Action::SocketMode(SocketModeEvent::Connecting { refresh: false, .. }),
        Action::CallWebApi {
            method,
            token,
            form,
            ..
        },
    ] = &a[..]
    else {
        panic!("{a:?}");
    };
    assert_eq!(*method, WebMethod::AppsConnectionsOpen);
    assert_eq!(method.as_str(), "apps.connections.open");
    assert_eq!(token.expose(), "xapp-1-A123-secret");
    assert!(
        form.is_empty(),
        "the token goes in the Authorization header only"
    );
    assert_eq!(
        h.c.next_deadline(),
        Some(h.t0 + S(30)),
        "the web call has a deadline"
    );
}

#[test]
fn debug_reconnects_is_appended_to_the_socket_url() {
    let mut h = H::new(SocketModeConfig::default().with_debug_reconnects(true));
    let conn = h.start();
    let a = h.feed(Input::WebApiResult {
        conn,
        result: resp(200, &ok_url("A1")),
    });
    let [Action::OpenWebSocket { url, .. }] = &a[..] else {
        panic!("{a:?}")
    };
    assert_eq!(
        url,
        "wss://wss-primary.slack.com/link/?ticket=t1&app_id=A1&debug_reconnects=true"
    );
    // Off by default.
    let mut h = H::default();
    let conn = h.start();
    let a = h.feed(Input::WebApiResult {
        conn,
        result: resp(200, &ok_url("A1")),
    });
    assert!(matches!(&a[..], [Action::OpenWebSocket { url, .. }] if !url.contains("debug")));
}

#[test]
fn fatal_errors_end_the_attempt_for_good() {
    for error in rtm_proto::SOCKET_MODE_FATAL_ERRORS {
        let mut h = H::default();
        let conn = h.start();
        let a = h.feed(Input::WebApiResult {
            conn,
            result: resp(200, &format!(r#"{{"ok":false,"error":"{error}"}}"#)),
        });
        let expected = SocketModeError::Platform {
            error: (*error).to_owned(),
        };
        assert!(
            sm(&a).contains(&&SocketModeEvent::StartSettled(Err(expected.clone()))),
            "{error}: {a:?}"
        );
        assert!(sm(&a).contains(&&SocketModeEvent::Disconnected {
            error: Some(expected)
        }));
        assert_eq!(h.c.state(), State::Disconnected);
        assert_eq!(h.c.next_deadline(), None, "{error}: no retry is planned");
        assert!(web_calls(&h.run_to(S(3600))).is_empty());
    }
}

#[test]
fn retryable_errors_back_off_and_retry_after_is_honoured() {
    let failures: Vec<Result<WebResponse, rtm_proto::TransportError>> = vec![
        Ok(WebResponse {
            status: 429,
            retry_after: Some("7".into()),
            location: None,
            body: r#"{"ok":false,"error":"ratelimited"}"#.into(),
        }),
        resp(200, r#"{"ok":false,"error":"ratelimited"}"#),
        resp(200, r#"{"ok":false,"error":"internal_error"}"#),
        resp(200, r#"{"ok":false,"error":"service_unavailable"}"#),
        resp(503, "upstream down"),
        Err("dns error: no such host".into()),
    ];
    for (i, result) in failures.into_iter().enumerate() {
        let mut h = H::default();
        let conn = h.start();
        let a = h.feed(Input::WebApiResult { conn, result });
        let delay = sm(&a)
            .into_iter()
            .find_map(|e| match e {
                SocketModeEvent::Reconnecting { delay, .. } => Some(*delay),
                _ => None,
            })
            .unwrap_or_else(|| panic!("case {i} is retried: {a:?}"));
        if i == 0 {
            assert!(delay >= S(7), "Retry-After is a floor: {delay:?}");
        }
        assert_eq!(h.c.state(), State::Reconnecting);
        assert_eq!(h.c.next_deadline(), Some(h.t0 + delay));
        assert!(
            web_calls(&h.tick_at(delay - MS(1))).is_empty(),
            "not before the delay"
        );
        let again = web_calls(&h.tick_at(delay));
        assert_eq!(again.len(), 1, "case {i}");
        assert_ne!(again[0], conn, "a new attempt has a new id");
    }
}

// ---- hello ----

#[test]
fn hello_exposes_num_connections_connection_time_and_app_id() {
    let mut h = H::default();
    let conn = h.start();
    assert_eq!(h.c.hello(), None);
    let a = h.open(conn, 18_060);
    let hello = h.c.hello().expect("hello kept").clone();
    assert_eq!(hello.num_connections, Some(2));
    assert_eq!(hello.approximate_connection_time, Some(S(18_060)));
    assert_eq!(hello.app_id.as_deref(), Some("A123"));
    assert_eq!(hello.host.as_deref(), Some("applink-1"));
    assert_eq!(h.c.app_id(), Some("A123"));
    assert_eq!(h.c.num_connections(), Some(2));
    assert!(sm(&a).contains(&&SocketModeEvent::StartSettled(Ok(hello.clone()))));
    assert!(sm(&a).contains(&&SocketModeEvent::Connected(hello)));
    assert!(h.c.is_connected());
}

#[test]
fn no_hello_in_time_is_retried() {
    let mut h = H::default();
    let conn = h.start();
    h.feed(Input::WebApiResult {
        conn,
        result: resp(200, &ok_url("A1")),
    });
    h.feed(Input::WsOpened { conn });
    assert_eq!(h.c.next_deadline(), Some(h.t0 + S(30)));
    let a = h.tick_at(S(30));
    assert!(a.contains(&Action::DropWebSocket { conn }), "{a:?}");
    assert!(sm(&a).iter().any(|e| matches!(
        e,
        SocketModeEvent::Reconnecting {
            reason: SocketModeError::HelloTimeout,
            ..
        }
    )));
}

// ---- envelopes ----

#[test]
fn envelopes_are_typed_and_unknown_types_pass_through() {
    let mut h = H::default();
    let conn = h.connect();
    let a = h.text(conn, &events_api("e1", 0, "Ev1"));
    let [SocketModeEvent::Envelope(env)] = &sm(&a)[..] else {
        panic!("{a:?}")
    };
    assert_eq!(env.envelope_id(), "e1");
    assert_eq!(env.envelope_type(), &EnvelopeType::EventsApi);
    assert_eq!(env.retry_attempt(), 0);
    assert_eq!(env.retry_reason(), "");
    assert!(!env.accepts_response_payload());
    assert_eq!(env.conn(), conn);
    let inner = env.events_api().unwrap().unwrap();
    assert_eq!(inner.event_id.as_deref(), Some("Ev1"));
    assert_eq!(inner.event_type.as_deref(), Some("message"));
    assert_eq!(inner.subtype.as_deref(), Some("bot_message"));
    assert_eq!(env.payload_json().unwrap()["team_id"], "T1");

    let a = h.text(conn, &slash("s1"));
    let [SocketModeEvent::Envelope(env)] = &sm(&a)[..] else {
        panic!("{a:?}")
    };
    assert_eq!(env.envelope_type(), &EnvelopeType::SlashCommands);
    assert!(env.accepts_response_payload());
    assert!(env.events_api().is_none());

    let a = h.text(
        conn,
        r#"{"envelope_id":"i1","type":"interactive","payload":{"type":"block_actions"}}"#,
    );
    assert!(
        matches!(&sm(&a)[..], [SocketModeEvent::Envelope(e)] if e.envelope_type() == &EnvelopeType::Interactive)
    );
    let a = h.text(
        conn,
        r#"{"envelope_id":"x1","type":"workflow_step","payload":{"a":1}}"#,
    );
    assert!(matches!(&sm(&a)[..], [SocketModeEvent::Envelope(e)]
        if e.envelope_type() == &EnvelopeType::Other("workflow_step".into()) && e.payload() == r#"{"a":1}"#));
}

#[test]
fn bad_input_gets_an_error_event_and_nothing_else() {
    let mut h = H::default();
    let conn = h.connect();
    let cases = [
        "not json",
        "[1,2]",
        r#"{"type":"events_api","payload":{}}"#,
        r#"{"envelope_id":"","type":"events_api"}"#,
        r#"{"type":"disconnect","reason":"bored"}"#,
        r#"{"envelope_id":"e9","type":"events_api","retry_attempt":"one"}"#,
    ];
    for text in cases {
        let a = h.text(conn, text);
        assert!(
            matches!(&a[..], [Action::SocketMode(SocketModeEvent::Error(_))]),
            "{text}: {a:?}"
        );
    }
    let a = h.feed(Input::WsBinary { conn, len: 12 });
    assert_eq!(
        a,
        [Action::SocketMode(SocketModeEvent::Error(
            SocketModeError::UnexpectedBinary { len: 12 }
        ))]
    );
    let a = h.text(conn, r#"{"type":"disconnect","reason":"bored"}"#);
    assert_eq!(
        a,
        [Action::SocketMode(SocketModeEvent::Error(
            SocketModeError::UnknownDisconnectReason {
                reason: "bored".into()
            }
        ))]
    );
    assert_eq!(h.c.live_conn(), Some(conn), "the session goes on");
    assert!(!h.c.is_refreshing());
}

#[test]
fn inputs_that_make_no_sense_are_ignored() {
    let mut h = H::default();
    let stray = ConnId(77);
    for input in [
        Input::WsText {
            conn: stray,
            text: hello(1),
        },
        Input::WsOpened { conn: stray },
        Input::WsPing { conn: stray },
        Input::WsClosed {
            conn: stray,
            code: 1000,
            reason: String::new(),
        },
        Input::WebApiResult {
            conn: stray,
            result: resp(200, &ok_url("A")),
        },
    ] {
        let a = h.feed(input);
        assert!(matches!(a[..], [Action::Ignored { .. }]), "{a:?}");
    }
    let a = h.feed(Input::Send {
        handle: rtm_proto::SendHandle(3),
        outgoing: rtm_proto::Outgoing::typing("C1"),
    });
    assert!(matches!(
        a[..],
        [Action::Settle {
            handle: rtm_proto::SendHandle(3),
            result: Err(_)
        }]
    ));
}

#[test]
fn the_rtm_client_ignores_socket_mode_inputs() {
    let mut c = Client::new(Config::default()).unwrap();
    let now = Instant::now();
    for input in [
        Input::WsPing { conn: ConnId(1) },
        Input::WsPong { conn: ConnId(1) },
        Input::Ack {
            envelope_id: "e".into(),
            payload: None,
        },
    ] {
        let a = c.handle_input(now, input);
        assert!(matches!(a[..], [Action::Ignored { .. }]), "{a:?}");
    }
}

// ---- acks ----

#[test]
fn the_user_acks_with_and_without_payload_and_wrong_acks_are_refused() {
    let mut h = H::default();
    let conn = h.connect();
    h.text(conn, &events_api("e1", 0, "Ev1"));
    h.text(conn, &slash("s1"));
    assert_eq!(h.c.pending_acks(), 2);

    let a = h.ack("e1", Some(r#"{"text":"no"}"#));
    assert_eq!(ack_result(&a, "e1"), &Err(AckError::PayloadNotAccepted));
    assert!(texts(&a).is_empty(), "a refused ack writes nothing");
    let a = h.ack("e1", None);
    assert_eq!(ack_result(&a, "e1"), &Ok(()));
    assert_eq!(texts(&a), [(conn, r#"{"envelope_id":"e1"}"#.to_owned())]);
    let a = h.ack("e1", None);
    assert_eq!(ack_result(&a, "e1"), &Err(AckError::AlreadyAcked));
    let a = h.ack("nope", None);
    assert_eq!(ack_result(&a, "nope"), &Err(AckError::UnknownEnvelope));

    let a = h.ack("s1", Some("[1]"));
    assert_eq!(ack_result(&a, "s1"), &Err(AckError::BadPayload));
    let a = h.ack("s1", Some(r#"{"text":"pong"}"#));
    assert_eq!(ack_result(&a, "s1"), &Ok(()));
    let (_, frame) = &texts(&a)[0];
    let v: serde_json::Value = serde_json::from_str(frame).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"envelope_id":"s1","payload":{"text":"pong"}})
    );
    assert_eq!(h.c.pending_acks(), 0);
}

#[test]
fn auto_ack_acks_before_the_user_sees_the_envelope() {
    let mut h = H::new(SocketModeConfig::default().with_auto_ack(true));
    let conn = h.connect();
    let a = h.text(conn, &events_api("e1", 0, "Ev1"));
    let ack = a
        .iter()
        .position(|x| matches!(x, Action::SendText { .. }))
        .expect("acked");
    let env = a
        .iter()
        .position(|x| matches!(x, Action::SocketMode(SocketModeEvent::Envelope(_))))
        .expect("delivered");
    assert!(ack < env, "ack first, then handle: {a:?}");
    assert_eq!(h.c.pending_acks(), 0);
    assert_eq!(
        ack_result(&h.ack("e1", None), "e1"),
        &Err(AckError::AlreadyAcked)
    );
}

#[test]
fn an_envelope_not_acked_in_time_gets_one_warning() {
    let mut h = H::new(
        SocketModeConfig::default()
            .with_ack_deadline(S(3))
            .with_ping_interval(S(100)),
    );
    let conn = h.connect();
    h.text(conn, &events_api("e1", 0, "Ev1"));
    assert_eq!(h.c.next_deadline(), Some(h.t0 + S(3)));
    assert!(sm(&h.tick_at(MS(2999))).is_empty());
    let a = h.tick_at(S(3));
    assert_eq!(
        sm(&a),
        [&SocketModeEvent::AckLate {
            envelope_id: "e1".into()
        }]
    );
    assert!(sm(&h.tick_at(S(4))).is_empty(), "warned once");
    // Still ackable after the warning.
    assert_eq!(ack_result(&h.ack("e1", None), "e1"), &Ok(()));
}

#[test]
fn acks_are_not_blocked_by_a_slow_handler() {
    // §4: acks that miss the window because the handler runs first. Acks are independent:
    // a later envelope is acked while an earlier one is still being handled.
    let mut h = H::default();
    let conn = h.connect();
    for i in 0..5 {
        h.text(conn, &events_api(&format!("e{i}"), 0, &format!("Ev{i}")));
    }
    let a = h.ack("e4", None);
    assert_eq!(ack_result(&a, "e4"), &Ok(()));
    assert_eq!(texts(&a), [(conn, r#"{"envelope_id":"e4"}"#.to_owned())]);
    assert_eq!(h.c.pending_acks(), 4);
}

#[test]
fn an_ack_whose_connection_is_gone_is_refused_and_the_redelivery_is_acked() {
    let mut h = H::default();
    let conn = h.connect();
    h.text(conn, &events_api("e1", 0, "Ev1"));
    h.feed(Input::WsClosed {
        conn,
        code: 1006,
        reason: String::new(),
    });
    let a = h.ack("e1", None);
    assert_eq!(ack_result(&a, "e1"), &Err(AckError::ConnectionGone));
    assert!(texts(&a).is_empty());
    let next = web_calls(&h.run_to(S(1)))[0];
    h.open(next, 18_060);
    let a = h.text(next, &events_api("e1", 1, "Ev1"));
    assert!(delivered(&a).is_empty(), "the user had it");
    assert_eq!(texts(&a), [(next, r#"{"envelope_id":"e1"}"#.to_owned())]);
}

// ---- redelivery ----

#[test]
fn redeliveries_are_acked_again_but_delivered_once() {
    // §4: redeliveries handed to the user again.
    let mut h = H::default();
    let conn = h.connect();
    assert_eq!(
        delivered(&h.text(conn, &events_api("e1", 0, "Ev1"))),
        ["e1"]
    );
    h.ack("e1", None);
    let a = h.text(conn, &events_api("e1", 1, "Ev1"));
    assert!(delivered(&a).is_empty());
    assert_eq!(texts(&a), [(conn, r#"{"envelope_id":"e1"}"#.to_owned())]);
    assert!(sm(&a).contains(&&SocketModeEvent::Redelivered {
        envelope_id: "e1".into(),
        retry_attempt: 1
    }));
    // The same event_id under another envelope_id (another connection's delivery).
    let a = h.text(conn, &events_api("e2", 0, "Ev1"));
    assert!(delivered(&a).is_empty());
    assert_eq!(texts(&a), [(conn, r#"{"envelope_id":"e2"}"#.to_owned())]);
}

#[test]
fn a_redelivery_while_the_user_still_handles_it_moves_the_ack_to_its_connection() {
    let mut h = H::default();
    let old = h.connect();
    h.text(old, &events_api("e1", 0, "Ev1"));
    let new = web_calls(&h.text(old, r#"{"type":"disconnect","reason":"warning"}"#))[0];
    h.open(new, 18_060);
    let a = h.text(new, &events_api("e1", 1, "Ev1"));
    assert!(delivered(&a).is_empty());
    assert!(texts(&a).is_empty(), "the user's ack is still to come");
    let a = h.ack("e1", None);
    assert_eq!(texts(&a), [(new, r#"{"envelope_id":"e1"}"#.to_owned())]);
}

#[test]
fn the_redelivery_filter_is_bounded() {
    let mut h = H::new(
        SocketModeConfig::default()
            .with_auto_ack(true)
            .with_dedup_window(2),
    );
    let conn = h.connect();
    h.text(conn, &events_api("e0", 0, "Ev0"));
    assert!(delivered(&h.text(conn, &events_api("e0", 1, "Ev0"))).is_empty());
    for i in 1..=4 {
        h.text(conn, &events_api(&format!("e{i}"), 0, &format!("Ev{i}")));
    }
    // Forgotten: memory is bounded by the window, not by the session's length.
    assert_eq!(
        delivered(&h.text(conn, &events_api("e0", 2, "Ev0"))),
        ["e0"]
    );
}

// ---- refresh ----

fn sockets_never_exceed_two(h: &H) {
    assert!(h.c.sockets().len() <= 2);
}

#[test]
fn a_warning_opens_the_replacement_while_the_old_socket_still_delivers() {
    // §4: a gap at every refresh.
    let mut h = H::new(SocketModeConfig::default().with_drain_timeout(S(2)));
    let old = h.connect();
    let a = h.text(
        old,
        r#"{"type":"disconnect","reason":"warning","debug_info":{"host":"h"}}"#,
    );
    assert!(sm(&a).contains(&&SocketModeEvent::Disconnect {
        conn: old,
        reason: DisconnectReason::Warning
    }));
    assert!(sm(&a).contains(&&SocketModeEvent::Refreshing {
        reason: RefreshReason::Warning
    }));
    let new = web_calls(&a)[0];
    assert!(
        !a.iter().any(|x| matches!(
            x,
            Action::CloseWebSocket { .. } | Action::DropWebSocket { .. }
        )),
        "the old socket stays: {a:?}"
    );
    assert!(h.c.is_refreshing());
    assert_eq!(h.c.live_conn(), Some(old));
    // The old socket still delivers while the replacement opens.
    assert_eq!(delivered(&h.text(old, &events_api("e1", 0, "Ev1"))), ["e1"]);
    let a = h.open(new, 18_060);
    assert!(
        sm(&a).contains(&&SocketModeEvent::Refreshed { old, new }),
        "{a:?}"
    );
    assert_eq!(h.c.live_conn(), Some(new));
    assert_eq!(h.c.sockets(), [new, old]);
    sockets_never_exceed_two(&h);
    // Draining: the old socket is still read; acks for its envelopes go on the connection
    // in use (Slack takes them on any), since the old one may close with them unread.
    assert_eq!(delivered(&h.text(old, &events_api("e2", 0, "Ev2"))), ["e2"]);
    assert_eq!(
        texts(&h.ack("e1", None)),
        [(new, r#"{"envelope_id":"e1"}"#.to_owned())]
    );
    // Then it is closed.
    let a = h.run_to(S(2));
    assert_eq!(
        a,
        [Action::CloseWebSocket {
            conn: old,
            code: 1000
        }]
    );
    h.feed(Input::WsClosed {
        conn: old,
        code: 1000,
        reason: String::new(),
    });
    assert_eq!(h.c.sockets(), [new]);
    // An envelope of the closed socket, acked late, is acked on the new one: not lost.
    let a = h.ack("e2", None);
    assert_eq!(ack_result(&a, "e2"), &Ok(()));
    assert_eq!(texts(&a), [(new, r#"{"envelope_id":"e2"}"#.to_owned())]);
    let rest = h.run_to(S(9));
    assert!(web_calls(&rest).is_empty(), "no new attempt: {rest:?}");
    assert!(
        !sm(&rest)
            .iter()
            .any(|e| matches!(e, SocketModeEvent::Reconnecting { .. }))
    );
}

#[test]
fn refresh_requested_refreshes_at_once_and_a_close_before_the_new_hello_does_not_reconnect() {
    let mut h = H::default();
    let old = h.connect();
    let a = h.text(old, r#"{"type":"disconnect","reason":"refresh_requested"}"#);
    assert!(sm(&a).contains(&&SocketModeEvent::Refreshing {
        reason: RefreshReason::RefreshRequested
    }));
    let new = web_calls(&a)[0];
    // Slack closes the old socket before the new one says hello: no backoff, no new
    // attempt; the replacement carries on.
    let a = h.feed(Input::WsClosed {
        conn: old,
        code: 1000,
        reason: String::new(),
    });
    assert!(web_calls(&a).is_empty() && sm(&a).is_empty(), "{a:?}");
    let a = h.open(new, 18_060);
    assert!(
        sm(&a)
            .iter()
            .any(|e| matches!(e, SocketModeEvent::Connected(hl) if hl.conn == new))
    );
    assert_eq!(h.c.sockets(), [new]);
}

#[test]
fn the_lifetime_running_out_refreshes_without_a_warning() {
    let mut h = H::new(
        SocketModeConfig::default()
            .with_refresh_lead(S(15))
            .with_ping_interval(S(1000))
            .with_idle_timeout(S(1000)),
    );
    let conn = h.start();
    h.open(conn, 60);
    assert!(web_calls(&h.run_to(MS(44_999))).is_empty());
    let a = h.run_to(S(45));
    assert!(sm(&a).contains(&&SocketModeEvent::Refreshing {
        reason: RefreshReason::Lifetime
    }));
    assert_eq!(web_calls(&a).len(), 1);
}

#[test]
fn reconnect_loops_never_stack_sockets() {
    // §4: stacked sockets. A warning on the new socket while the old one drains waits.
    let mut h = H::new(SocketModeConfig::default().with_drain_timeout(S(2)));
    let a0 = h.connect();
    let a = h.text(a0, r#"{"type":"disconnect","reason":"warning"}"#);
    let b = web_calls(&a)[0];
    // A second warning while refreshing opens nothing more.
    assert!(web_calls(&h.text(a0, r#"{"type":"disconnect","reason":"warning"}"#)).is_empty());
    h.open(b, 18_060);
    let a = h.text(b, r#"{"type":"disconnect","reason":"warning"}"#);
    assert!(
        web_calls(&a).is_empty(),
        "a third socket would be opened: {a:?}"
    );
    assert_eq!(h.c.sockets().len(), 2);
    let a = h.run_to(S(2));
    assert_eq!(
        a,
        [Action::CloseWebSocket {
            conn: a0,
            code: 1000
        }]
    );
    let a = h.feed(Input::WsClosed {
        conn: a0,
        code: 1000,
        reason: String::new(),
    });
    assert_eq!(
        web_calls(&a).len(),
        1,
        "the waiting refresh starts once the drain ended"
    );
    assert!(h.c.is_refreshing());
    assert_eq!(
        h.c.sockets().len(),
        1,
        "the replacement's web call holds no socket yet"
    );
}

#[test]
fn a_failed_replacement_leaves_the_live_socket_in_use() {
    let mut h = H::default();
    let old = h.connect();
    let new = web_calls(&h.text(old, r#"{"type":"disconnect","reason":"warning"}"#))[0];
    let a = h.feed(Input::WebApiResult {
        conn: new,
        result: Err("connection reset".into()),
    });
    assert!(
        sm(&a)
            .iter()
            .any(|e| matches!(e, SocketModeEvent::Error(SocketModeError::Request { .. })))
    );
    assert_eq!(h.c.live_conn(), Some(old));
    assert!(delivered(&h.text(old, &events_api("e1", 0, "Ev1"))) == ["e1"]);
    let due = h.c.next_deadline().unwrap();
    let retry = web_calls(&h.run_to(due.duration_since(h.t0)));
    assert_eq!(retry.len(), 1, "the refresh is retried with backoff");
    assert_ne!(retry[0], new);
    assert_ne!(retry[0], old);
}

#[test]
fn link_disabled_ends_the_session_for_good() {
    // §4: link_disabled treated like any other disconnect.
    let mut h = H::default();
    let conn = h.connect();
    let a = h.text(conn, r#"{"type":"disconnect","reason":"link_disabled"}"#);
    assert!(a.contains(&Action::DropWebSocket { conn }));
    assert!(sm(&a).contains(&&SocketModeEvent::Disconnected {
        error: Some(SocketModeError::LinkDisabled)
    }));
    assert_eq!(h.c.state(), State::Disconnected);
    assert_eq!(h.c.next_deadline(), None);
    assert!(
        web_calls(&h.run_to(S(86_400))).is_empty(),
        "no reconnect loop"
    );
    // Also while a refresh is under way: both sockets go.
    let mut h = H::default();
    let old = h.connect();
    let new = web_calls(&h.text(old, r#"{"type":"disconnect","reason":"warning"}"#))[0];
    h.feed(Input::WebApiResult {
        conn: new,
        result: resp(200, &ok_url("A")),
    });
    let a = h.text(old, r#"{"type":"disconnect","reason":"link_disabled"}"#);
    assert!(
        a.contains(&Action::DropWebSocket { conn: old })
            && a.contains(&Action::DropWebSocket { conn: new })
    );
    assert!(h.c.sockets().is_empty());
}

// ---- losses and keepalive ----

#[test]
fn a_close_or_a_tcp_drop_reconnects() {
    // §4: no reconnect after network errors.
    for (code, error) in [
        (1000, None),
        (1006, None),
        (0, Some("connection reset by peer")),
    ] {
        let mut h = H::default();
        let conn = h.connect();
        h.run_to(S(10));
        let input = match error {
            None => Input::WsClosed {
                conn,
                code,
                reason: String::new(),
            },
            Some(m) => Input::WsError {
                conn,
                error: m.into(),
            },
        };
        let a = h.feed(input);
        assert!(
            sm(&a)
                .iter()
                .any(|e| matches!(e, SocketModeEvent::Reconnecting { attempt: 1, .. })),
            "{a:?}"
        );
        let next = web_calls(&a);
        assert_eq!(next.len(), 1, "a session that stood reconnects at once");
        // The next web call fails on the network: retried too.
        let a = h.feed(Input::WebApiResult {
            conn: next[0],
            result: Err("dns: no such host".into()),
        });
        assert!(
            sm(&a)
                .iter()
                .any(|e| matches!(e, SocketModeEvent::Reconnecting { attempt: 2, .. }))
        );
        let due = h.c.next_deadline().expect("a retry is planned");
        assert_eq!(web_calls(&h.run_to(due.duration_since(h.t0))).len(), 1);
    }
}

#[test]
fn it_pings_when_quiet_and_a_missing_pong_is_a_dead_socket() {
    let mut h = H::new(
        SocketModeConfig::default()
            .with_ping_interval(S(10))
            .with_pong_timeout(S(5))
            .with_idle_timeout(S(1000)),
    );
    let conn = h.connect();
    let a = h.run_to(S(10));
    assert_eq!(a, [Action::SendPing { conn }]);
    h.feed(Input::WsPong { conn });
    let a = h.run_to(S(20));
    assert_eq!(
        a,
        [Action::SendPing { conn }],
        "answered: the next ping comes after the interval"
    );
    let a = h.run_to(S(25));
    assert!(a.contains(&Action::DropWebSocket { conn }));
    assert!(sm(&a).iter().any(|e| matches!(
        e,
        SocketModeEvent::Reconnecting {
            reason: SocketModeError::PongTimeout,
            ..
        }
    )));
}

#[test]
fn a_half_open_socket_is_detected_by_the_idle_deadline() {
    // §4: half-open sockets (the NAT dropped the flow; nothing arrives, nothing fails).
    let mut h = H::new(
        SocketModeConfig::default()
            .with_ping_interval(S(1000))
            .with_idle_timeout(S(30)),
    );
    let conn = h.connect();
    h.now = h.t0 + S(20);
    h.feed(Input::WsPing { conn }); // Slack's ping: inbound, the deadline restarts
    assert_eq!(h.c.next_deadline(), Some(h.t0 + S(50)));
    assert!(h.run_to(MS(49_999)).is_empty());
    let a = h.run_to(S(50));
    assert!(a.contains(&Action::DropWebSocket { conn }));
    assert!(sm(&a).iter().any(|e| matches!(
        e,
        SocketModeEvent::Reconnecting {
            reason: SocketModeError::IdleTimeout,
            ..
        }
    )));
    assert_eq!(web_calls(&a).len(), 1);
}

#[test]
fn disconnect_racing_a_pending_reconnect_opens_nothing() {
    // §4: disconnect() racing a pending reconnect.
    let mut h = H::default();
    let conn = h.start();
    let a = h.feed(Input::WebApiResult {
        conn,
        result: resp(503, ""),
    });
    assert_eq!(h.c.state(), State::Reconnecting);
    assert!(!a.is_empty());
    let a = h.feed(Input::Disconnect);
    assert!(a.contains(&Action::DisconnectSettled));
    assert!(sm(&a).contains(&&SocketModeEvent::StartSettled(Err(
        SocketModeError::Disconnected
    ))));
    assert_eq!(h.c.next_deadline(), None);
    assert!(web_calls(&h.run_to(S(3600))).is_empty());
    // A late answer to the old attempt opens nothing.
    let a = h.feed(Input::WebApiResult {
        conn,
        result: resp(200, &ok_url("A")),
    });
    assert!(matches!(a[..], [Action::Ignored { .. }]));
}

#[test]
fn disconnect_during_a_refresh_closes_the_socket_in_use_and_drops_the_rest_at_once() {
    let mut h = H::new(SocketModeConfig::default().with_close_timeout(S(2)));
    let old = h.connect();
    let new = web_calls(&h.text(old, r#"{"type":"disconnect","reason":"warning"}"#))[0];
    h.feed(Input::WebApiResult {
        conn: new,
        result: resp(200, &ok_url("A")),
    });
    let a = h.feed(Input::Disconnect);
    assert!(a.contains(&Action::DropWebSocket { conn: new }));
    assert!(a.contains(&Action::CloseWebSocket {
        conn: old,
        code: 1000
    }));
    // A hello of the dropped replacement changes nothing.
    assert!(matches!(
        h.text(new, &hello(100))[..],
        [Action::Ignored { .. }]
    ));
    // The close does not wait on a pong watchdog: it has its own short deadline.
    let a = h.run_to(S(2));
    assert!(a.contains(&Action::DropWebSocket { conn: old }));
    assert!(a.contains(&Action::DisconnectSettled));
    assert!(web_calls(&h.run_to(S(3600))).is_empty());
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let run = |seed: u64| {
        let mut h = H::new(SocketModeConfig::default().with_seed(seed));
        let mut log = Vec::new();
        let conn = h.start();
        for _ in 0..4 {
            let a = h.feed(Input::WebApiResult {
                conn: h.c.sockets().first().copied().unwrap_or(conn),
                result: resp(500, ""),
            });
            log.extend(a);
            log.extend(h.run_to(h.now.duration_since(h.t0) + S(120)));
            if let Some(Action::CallWebApi { conn, .. }) = log
                .iter()
                .rev()
                .find(|a| matches!(a, Action::CallWebApi { .. }))
            {
                let a = h.feed(Input::WebApiResult {
                    conn: *conn,
                    result: resp(500, ""),
                });
                log.extend(a);
            }
        }
        log
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2), "the jitter comes from the seed");
}

#[test]
fn a_user_who_reads_ahead_and_acks_in_order_is_never_refused() {
    // The driver reads up to 4,096 envelopes ahead of a subscriber; acks come after.
    let mut h = H::default();
    let conn = h.connect();
    for i in 0..5_000 {
        h.text(conn, &events_api(&format!("e{i}"), 0, &format!("Ev{i}")));
    }
    assert_eq!(h.c.pending_acks(), 5_000);
    for i in 0..5_000 {
        let id = format!("e{i}");
        assert_eq!(ack_result(&h.ack(&id, None), &id), &Ok(()), "{id}");
    }
    assert_eq!(h.c.pending_acks(), 0);
}

#[test]
fn late_acks_are_warned_once_each_in_arrival_order() {
    let mut h = H::default();
    let conn = h.connect();
    for i in 0..4 {
        h.text(conn, &events_api(&format!("e{i}"), 0, &format!("Ev{i}")));
    }
    h.ack("e1", None);
    let late: Vec<String> = sm(&h.run_to(S(4)))
        .iter()
        .filter_map(|e| match e {
            SocketModeEvent::AckLate { envelope_id } => Some(envelope_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(late, ["e0", "e2", "e3"]);
    assert!(
        !sm(&h.run_to(S(8)))
            .iter()
            .any(|e| matches!(e, SocketModeEvent::AckLate { .. })),
        "each warned once"
    );
    assert_eq!(
        ack_result(&h.ack("e3", None), "e3"),
        &Ok(()),
        "still ackable"
    );
}

#[test]
fn envelopes_never_acked_are_forgotten_past_the_window() {
    let mut h = H::new(
        SocketModeConfig::default()
            .with_dedup_window(3)
            .with_max_pending_acks(3),
    );
    let conn = h.connect();
    for i in 0..10 {
        h.text(conn, &events_api(&format!("e{i}"), 0, &format!("Ev{i}")));
        assert!(h.c.pending_acks() <= 3, "memory is bounded");
    }
    assert_eq!(h.c.pending_acks(), 3);
    assert_eq!(
        ack_result(&h.ack("e0", None), "e0"),
        &Err(AckError::UnknownEnvelope)
    );
    assert_eq!(ack_result(&h.ack("e9", None), "e9"), &Ok(()));
}

#[test]
fn a_configuration_with_a_zero_deadline_is_refused() {
    for config in [
        SocketModeConfig::default().with_idle_timeout(Duration::ZERO),
        SocketModeConfig::default().with_ack_deadline(Duration::ZERO),
        SocketModeConfig::default().with_dedup_window(0),
    ] {
        assert!(matches!(
            SocketModeClient::new(config),
            Err(rtm_proto::ConfigError::Invalid(_))
        ));
    }
    assert!(SocketModeClient::new(SocketModeConfig::default()).is_ok());
}

#[test]
fn a_replacement_without_hello_is_retried_while_the_old_socket_serves() {
    let mut h = H::new(
        SocketModeConfig::default()
            .with_hello_timeout(S(5))
            .with_ping_interval(S(1000))
            .with_idle_timeout(S(1000)),
    );
    let old = h.connect();
    let new = web_calls(&h.text(old, r#"{"type":"disconnect","reason":"warning"}"#))[0];
    h.feed(Input::WebApiResult {
        conn: new,
        result: resp(200, &ok_url("A")),
    });
    h.feed(Input::WsOpened { conn: new });
    let a = h.run_to(S(5));
    assert!(a.contains(&Action::DropWebSocket { conn: new }), "{a:?}");
    assert!(!a.contains(&Action::DropWebSocket { conn: old }));
    assert_eq!(h.c.live_conn(), Some(old), "the old socket still serves");
    assert!(h.c.is_refreshing(), "the replacement is retried");
    let retry = web_calls(&h.run_to(S(120)));
    assert!(!retry.is_empty() && !retry.contains(&new) && !retry.contains(&old));
}

#[test]
fn a_transport_that_refuses_the_url_ends_the_session_for_good() {
    let mut h = H::default();
    let conn = h.start();
    h.feed(Input::WebApiResult {
        conn,
        result: resp(200, &ok_url("A")),
    });
    let a = h.feed(Input::WsRefused {
        conn,
        reason: "plain ws:// to a remote host".into(),
    });
    assert!(sm(&a).iter().any(|e| matches!(
        e,
        SocketModeEvent::StartSettled(Err(SocketModeError::Refused { .. }))
    )));
    assert_eq!(h.c.next_deadline(), None);
    assert!(web_calls(&h.run_to(S(3600))).is_empty());
}

#[test]
fn shutdown_drops_every_socket_and_refuses_later_starts() {
    let mut h = H::default();
    let old = h.connect();
    let new = web_calls(&h.text(old, r#"{"type":"disconnect","reason":"warning"}"#))[0];
    h.feed(Input::WebApiResult {
        conn: new,
        result: resp(200, &ok_url("A")),
    });
    let a = h.feed(Input::Shutdown);
    assert!(a.contains(&Action::DropWebSocket { conn: old }));
    assert!(a.contains(&Action::DropWebSocket { conn: new }));
    assert!(h.c.sockets().is_empty());
    let a = h.feed(Input::Start(StartOptions::new("xapp-1")));
    assert_eq!(
        sm(&a),
        [&SocketModeEvent::StartSettled(Err(
            SocketModeError::Disconnected
        ))]
    );
    assert!(web_calls(&a).is_empty());
}
