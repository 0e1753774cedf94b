//! The Web API calls both cores make for their user, on virtual time: answers, Slack's
//! errors, 429 `Retry-After` held per method, 5xx and transport retries with growing
//! delays, fatal failures, timeouts, per-channel order and pacing, the in-flight limit,
//! shutdown, and calls made while the socket is down, in RTM and in Socket Mode.

mod common;

use std::time::{Duration, Instant};

use common::{ms, secs};
use proptest::prelude::*;
use rtm_proto::invariants::{Invariants, SocketModeInvariants};
use rtm_proto::{
    Action, ApiAnswer, ApiError, ApiRequest, CallId, ChatPostMessage, Client, Config, Input,
    PostedMessage, SocketModeClient, SocketModeConfig, StartOptions, State, TransportError,
    WebApiConfig, WebResponse,
};

const BOT: &str = "xoxb-42-BOT-SECRET";

/// A core on virtual time, every step checked by the shared invariants.
trait Core {
    fn feed(&mut self, now: Instant, input: Input) -> Vec<Action>;
    fn deadline(&self) -> Option<Instant>;
    fn in_flight(&self) -> usize;
}

struct Rtm(Client, Invariants);
struct Sm(SocketModeClient, SocketModeInvariants);

impl Core for Rtm {
    fn feed(&mut self, now: Instant, input: Input) -> Vec<Action> {
        self.1.feed(&mut self.0, now, input)
    }
    fn deadline(&self) -> Option<Instant> {
        self.0.next_deadline()
    }
    fn in_flight(&self) -> usize {
        self.0.api_calls_in_flight()
    }
}

impl Core for Sm {
    fn feed(&mut self, now: Instant, input: Input) -> Vec<Action> {
        self.1.feed(&mut self.0, now, input)
    }
    fn deadline(&self) -> Option<Instant> {
        self.0.next_deadline()
    }
    fn in_flight(&self) -> usize {
        self.0.api_calls_in_flight()
    }
}

struct W<C> {
    core: C,
    t0: Instant,
    now: Instant,
}

fn rtm(web_api: WebApiConfig) -> W<Rtm> {
    let config = Config::default().with_web_api(web_api);
    let t0 = Instant::now();
    W {
        core: Rtm(Client::new(config).unwrap(), Invariants::new()),
        t0,
        now: t0,
    }
}

fn socket_mode(web_api: WebApiConfig) -> W<Sm> {
    let config = SocketModeConfig::default().with_web_api(web_api);
    let t0 = Instant::now();
    W {
        core: Sm(
            SocketModeClient::new(config).unwrap(),
            SocketModeInvariants::new(),
        ),
        t0,
        now: t0,
    }
}

fn unpaced() -> WebApiConfig {
    WebApiConfig::default().with_pacing(None)
}

fn post(channel: &str, text: &str) -> ApiRequest {
    ApiRequest::chat_post_message(BOT, &ChatPostMessage::new(channel, text))
}

fn generic(method: &str) -> ApiRequest {
    ApiRequest::new(method, BOT).param("channel", "C1")
}

fn response(
    status: u16,
    retry_after: Option<&str>,
    body: &str,
) -> Result<WebResponse, TransportError> {
    Ok(WebResponse {
        status,
        retry_after: retry_after.map(str::to_owned),
        location: None,
        body: body.to_owned(),
    })
}

const OK: &str = r#"{"ok":true,"channel":"C1","ts":"1503435956.000247","message":{"text":"hi"}}"#;

/// The calls sent, in order.
fn sent(actions: &[Action]) -> Vec<CallId> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::CallApi { call, .. } => Some(*call),
            _ => None,
        })
        .collect()
}

/// The calls settled, in order.
fn settled(actions: &[Action]) -> Vec<(CallId, Result<ApiAnswer, ApiError>)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::ApiSettled { call, result } => Some((*call, result.clone())),
            _ => None,
        })
        .collect()
}

fn only_error(actions: &[Action], id: u64) -> ApiError {
    match &settled(actions)[..] {
        [(c, Err(e))] if *c == CallId(id) => e.clone(),
        other => panic!("expected one failure of call#{id}: {other:?} in {actions:?}"),
    }
}

impl<C: Core> W<C> {
    fn feed(&mut self, input: Input) -> Vec<Action> {
        self.core.feed(self.now, input)
    }

    fn call(&mut self, id: u64, request: ApiRequest) -> Vec<Action> {
        self.feed(Input::ApiCall {
            call: CallId(id),
            request,
        })
    }

    fn answer(&mut self, id: u64, result: Result<WebResponse, TransportError>) -> Vec<Action> {
        self.feed(Input::ApiResult {
            call: CallId(id),
            result,
        })
    }

    fn ok(&mut self, id: u64) -> Vec<Action> {
        self.answer(id, response(200, None, OK))
    }

    /// Moves the clock to `t0 + at` and ticks.
    fn tick_at(&mut self, at: Duration) -> Vec<Action> {
        let t = self.t0 + at;
        assert!(t >= self.now, "time goes forward");
        self.now = t;
        self.feed(Input::Tick)
    }

    /// Moves the clock to the next deadline and ticks.
    fn tick_deadline(&mut self) -> (Duration, Vec<Action>) {
        let d = self.core.deadline().expect("a deadline");
        let d = d.max(self.now);
        self.now = d;
        (d - self.t0, self.feed(Input::Tick))
    }

    fn since_t0(&self) -> Duration {
        self.now - self.t0
    }
}

#[test]
fn a_post_is_sent_with_its_form_and_settles_with_the_answer() {
    let mut w = rtm(WebApiConfig::default());
    let message = ChatPostMessage::new("C1", "hi")
        .thread_ts("1.5")
        .blocks(serde_json::json!([{"type":"section","text":{"type":"mrkdwn","text":"*hi*"}}]));
    let a = w.call(1, ApiRequest::chat_post_message(BOT, &message));
    let [
        Action::CallApi {
            call,
            method,
            token,
            form,
        },
    ] = &a[..]
    else {
        panic!("{a:?}");
    };
    assert_eq!((*call, method.as_str()), (CallId(1), "chat.postMessage"));
    assert_eq!(token.expose(), BOT);
    let keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["channel", "text", "thread_ts", "blocks"]);
    assert_eq!(form[0].1, "C1");
    let blocks: serde_json::Value = serde_json::from_str(&form[3].1).unwrap();
    assert_eq!(blocks[0]["type"], "section");
    // The token never shows in Debug.
    assert!(!format!("{a:?}").contains("SECRET"));
    assert_eq!(w.core.0.api_calls_in_flight(), 1);
    assert_eq!(
        w.core.deadline(),
        Some(w.t0 + secs(30)),
        "the attempt's timeout"
    );

    let a = w.ok(1);
    let [(CallId(1), Ok(answer))] = &settled(&a)[..] else {
        panic!("{a:?}");
    };
    assert_eq!(answer.method, "chat.postMessage");
    let posted = PostedMessage::from_answer(answer.clone()).unwrap();
    assert_eq!(
        (posted.channel.as_str(), posted.ts.as_str()),
        ("C1", "1503435956.000247")
    );
    assert_eq!(w.core.0.pending_api_calls(), 0);
    assert_eq!(w.core.deadline(), None, "nothing left to time");
}

#[test]
fn a_generic_call_sends_its_params_as_given() {
    let mut w = rtm(WebApiConfig::default());
    let request = ApiRequest::new("conversations.history", BOT)
        .param("channel", "C9")
        .params([("limit", "10"), ("cursor", "abc=")]);
    let a = w.call(3, request);
    let [Action::CallApi { method, form, .. }] = &a[..] else {
        panic!("{a:?}");
    };
    assert_eq!(method, "conversations.history");
    let expected: Vec<(String, String)> = [("channel", "C9"), ("limit", "10"), ("cursor", "abc=")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(form, &expected);
    let a = w.answer(3, response(200, None, r#"{"ok":true,"messages":[]}"#));
    assert!(
        matches!(&settled(&a)[..], [(CallId(3), Ok(ApiAnswer { json, .. }))] if json["messages"].is_array())
    );
    // A generic answer has no `ts`: `PostedMessage` says so.
    let e = PostedMessage::from_answer(ApiAnswer {
        method: "x".into(),
        json: serde_json::json!({"ok": true}),
    })
    .unwrap_err();
    assert!(matches!(e, ApiError::InvalidResponse { .. }));
}

#[test]
fn ok_false_and_bad_answers_fail_without_retries() {
    let mut w = rtm(WebApiConfig::default());
    w.call(1, post("C1", "a"));
    let a = w.answer(
        1,
        response(200, None, r#"{"ok":false,"error":"channel_not_found"}"#),
    );
    assert_eq!(
        only_error(&a, 1),
        ApiError::Slack {
            method: "chat.postMessage".into(),
            error: "channel_not_found".into(),
            needed: None,
            warning: None,
        }
    );
    assert!(sent(&a).is_empty(), "not retried");
    assert_eq!(only_error(&a, 1).code(), "slack_webapi_platform_error");

    w.call(2, generic("users.info"));
    let a = w.answer(
        2,
        response(
            200,
            None,
            r#"{"ok":false,"error":"missing_scope","needed":"users:read","warning":"w"}"#,
        ),
    );
    assert!(
        matches!(only_error(&a, 2), ApiError::Slack { error, needed: Some(n), warning: Some(_), .. }
        if error == "missing_scope" && n == "users:read")
    );

    w.call(3, generic("users.info"));
    let a = w.answer(3, response(200, None, "<html>502</html>"));
    assert!(matches!(
        only_error(&a, 3),
        ApiError::InvalidResponse { .. }
    ));
    w.call(4, generic("users.info"));
    let a = w.answer(4, response(200, None, r#"{"channel":"C1"}"#));
    assert!(matches!(
        only_error(&a, 4),
        ApiError::InvalidResponse { .. }
    ));
    assert_eq!(w.core.deadline(), None);
}

#[test]
fn invalid_requests_settle_at_once_and_a_duplicate_id_keeps_the_first() {
    let mut w = rtm(WebApiConfig::default());
    let bad = [
        ApiRequest::new("chat.postMessage?x=1", BOT),
        ApiRequest::new("", BOT),
        ApiRequest::new("../admin", BOT),
        post("", "text"),
        post("C1", ""),
        ApiRequest::chat_post_message(
            BOT,
            &ChatPostMessage::new("C1", "x").blocks(serde_json::json!({"not": "an array"})),
        ),
    ];
    for (i, request) in bad.into_iter().enumerate() {
        let a = w.call(i as u64 + 1, request);
        assert!(
            matches!(
                only_error(&a, i as u64 + 1),
                ApiError::InvalidRequest { .. }
            ),
            "{a:?}"
        );
        assert!(sent(&a).is_empty());
    }
    // Blocks without text are fine.
    let blocks_only = ChatPostMessage::new("C1", "").blocks(serde_json::json!([]));
    let a = w.call(10, ApiRequest::chat_post_message(BOT, &blocks_only));
    assert_eq!(sent(&a), [CallId(10)]);

    let a = w.call(20, generic("users.info"));
    assert_eq!(sent(&a), [CallId(20)]);
    let a = w.call(20, generic("team.info"));
    assert!(matches!(
        only_error(&a, 20),
        ApiError::InvalidRequest { .. }
    ));
    assert!(sent(&a).is_empty());
    // The first is still pending, and settles with its answer.
    let a = w.ok(20);
    assert!(
        matches!(&settled(&a)[..], [(CallId(20), Ok(ApiAnswer { method, .. }))] if method == "users.info")
    );
}

#[test]
fn a_429_holds_its_method_for_exactly_the_retry_after_and_not_other_methods() {
    let mut w = rtm(unpaced());
    w.call(1, generic("conversations.history"));
    let a = w.answer(1, response(429, Some("7"), ""));
    assert!(settled(&a).is_empty() && sent(&a).is_empty(), "{a:?}");
    assert_eq!(w.core.deadline(), Some(w.t0 + secs(7)));
    // Another call of the same method waits too; another method goes at once.
    w.now = w.t0 + secs(1);
    let a = w.call(2, generic("conversations.history"));
    assert!(sent(&a).is_empty(), "held by the 429: {a:?}");
    let a = w.call(3, generic("users.info"));
    assert_eq!(sent(&a), [CallId(3)]);
    w.ok(3);
    let a = w.tick_at(secs(7) - ms(1));
    assert!(sent(&a).is_empty(), "before Retry-After: {a:?}");
    let a = w.tick_at(secs(7));
    assert_eq!(sent(&a), [CallId(1), CallId(2)]);
    let a = w.ok(1);
    assert!(matches!(&settled(&a)[..], [(CallId(1), Ok(_))]));
}

#[test]
fn a_garbled_or_missing_retry_after_waits_one_second_and_ratelimited_counts_as_429() {
    for (retry_after, body) in [
        (Some("soon"), ""),
        (None, ""),
        (None, r#"{"ok":false,"error":"ratelimited"}"#),
    ] {
        let mut w = rtm(unpaced());
        w.call(1, generic("users.list"));
        let status = if body.is_empty() { 429 } else { 200 };
        let a = w.answer(1, response(status, retry_after, body));
        assert!(settled(&a).is_empty(), "{a:?}");
        assert_eq!(w.core.deadline(), Some(w.t0 + secs(1)));
        assert!(sent(&w.tick_at(ms(999))).is_empty());
        assert_eq!(sent(&w.tick_at(secs(1))), [CallId(1)]);
    }
    // A huge Retry-After is clamped to an hour.
    let mut w = rtm(unpaced());
    w.call(1, generic("users.list"));
    w.answer(1, response(429, Some("999999999"), ""));
    assert_eq!(w.core.deadline(), Some(w.t0 + secs(3600)));
}

#[test]
fn rate_limit_retries_run_out_as_rate_limited() {
    let mut w = rtm(unpaced().with_rate_limit_retries(2));
    w.call(1, generic("users.list"));
    for n in 1..=2u64 {
        let a = w.answer(1, response(429, Some("3"), ""));
        assert!(settled(&a).is_empty());
        let (at, a) = w.tick_deadline();
        assert_eq!(at, secs(3 * n));
        assert_eq!(sent(&a), [CallId(1)]);
    }
    let a = w.answer(1, response(429, Some("3"), ""));
    assert_eq!(
        only_error(&a, 1),
        ApiError::RateLimited {
            method: "users.list".into(),
            retry_after: secs(3)
        }
    );
    assert!(only_error(&a, 1).is_retryable());
}

#[test]
fn server_errors_are_retried_with_growing_delays_then_fail_as_http() {
    let mut w = rtm(unpaced());
    w.call(1, generic("users.info"));
    let mut delays = Vec::new();
    for n in 1..=3u32 {
        let answered = w.since_t0();
        let a = w.answer(1, response(503, None, "busy"));
        assert!(settled(&a).is_empty() && sent(&a).is_empty(), "{a:?}");
        let due = w.core.deadline().unwrap() - w.t0;
        let delay = due - answered;
        // Retry n waits within [d/2, d], d = 1 s * 2^(n-1).
        let d = secs(1 << (n - 1));
        assert!(delay >= d / 2 && delay <= d, "retry {n}: {delay:?}");
        assert!(
            sent(&w.tick_at(due - ms(1))).is_empty(),
            "no retry before its time"
        );
        assert_eq!(sent(&w.tick_at(due)), [CallId(1)]);
        delays.push(delay);
    }
    assert!(delays.windows(2).all(|p| p[0] <= p[1]), "{delays:?}");
    let a = w.answer(1, response(500, None, ""));
    assert_eq!(
        only_error(&a, 1),
        ApiError::Http {
            method: "users.info".into(),
            status: 500
        }
    );
    assert!(sent(&a).is_empty());
}

#[test]
fn the_same_seed_gives_the_same_delays() {
    let run = || {
        let mut w = rtm(unpaced());
        w.call(1, generic("users.info"));
        let mut at = Vec::new();
        for _ in 0..3 {
            w.answer(1, response(502, None, ""));
            let (t, _) = w.tick_deadline();
            at.push(t);
        }
        at
    };
    assert_eq!(run(), run());
}

#[test]
fn transport_failures_are_retried_and_a_fatal_one_fails_at_once() {
    let mut w = rtm(unpaced());
    w.call(1, generic("users.info"));
    for _ in 0..2 {
        let a = w.answer(1, Err(TransportError::retryable("connection reset")));
        assert!(settled(&a).is_empty());
        let (_, a) = w.tick_deadline();
        assert_eq!(sent(&a), [CallId(1)]);
    }
    let a = w.ok(1);
    assert!(matches!(&settled(&a)[..], [(CallId(1), Ok(_))]));

    // Retries exhausted: the last cause.
    w.call(2, generic("users.info"));
    for _ in 0..3 {
        w.answer(2, Err(TransportError::retryable("reset")));
        w.tick_deadline();
    }
    let a = w.answer(2, Err(TransportError::retryable("dns")));
    assert_eq!(
        only_error(&a, 2),
        ApiError::Transport {
            method: "users.info".into(),
            error: "dns".into()
        }
    );

    w.call(3, generic("users.info"));
    let a = w.answer(3, Err(TransportError::fatal("certificate verify failed")));
    assert!(
        matches!(only_error(&a, 3), ApiError::Transport { error, .. } if error.is_fatal() && error.message().contains("certificate"))
    );
    assert!(sent(&a).is_empty());

    // Other statuses fail at once: a redirect is never followed, a 404 not retried.
    for (id, status) in [(4, 302u16), (5, 404), (6, 401)] {
        w.call(id, generic("users.info"));
        let a = w.answer(id, response(status, None, ""));
        assert_eq!(
            only_error(&a, id),
            ApiError::Http {
                method: "users.info".into(),
                status
            }
        );
    }
    assert_eq!(w.core.deadline(), None);
}

#[test]
fn an_unanswered_attempt_times_out_without_a_retry_and_its_late_answer_is_ignored() {
    let mut w = rtm(unpaced());
    w.call(1, post("C1", "maybe posted"));
    assert!(sent(&w.tick_at(secs(30) - ms(1))).is_empty());
    let a = w.tick_at(secs(30));
    assert_eq!(
        only_error(&a, 1),
        ApiError::Timeout {
            method: "chat.postMessage".into(),
            after: secs(30)
        }
    );
    assert!(
        sent(&a).is_empty(),
        "a post that may have happened is not sent again"
    );
    let a = w.ok(1);
    assert!(settled(&a).is_empty());
    assert!(
        matches!(
            &a[..],
            [Action::Ignored {
                input: "api_result",
                ..
            }]
        ),
        "{a:?}"
    );
    // The channel is free for the next post.
    assert_eq!(sent(&w.call(2, post("C1", "next"))), [CallId(2)]);
}

#[test]
fn late_and_unknown_results_are_ignored() {
    let mut w = rtm(unpaced());
    let a = w.answer(99, response(200, None, OK));
    assert!(matches!(
        &a[..],
        [Action::Ignored {
            input: "api_result",
            ..
        }]
    ));
    w.call(1, generic("users.info"));
    w.ok(1);
    let a = w.ok(1);
    assert!(
        matches!(&a[..], [Action::Ignored { .. }]),
        "answered twice: {a:?}"
    );
    // An answer while the call waits for its retry is not for any attempt.
    w.call(2, generic("users.info"));
    w.answer(2, response(500, None, ""));
    let a = w.ok(2);
    assert!(matches!(&a[..], [Action::Ignored { .. }]));
    let (_, a) = w.tick_deadline();
    assert_eq!(sent(&a), [CallId(2)]);
}

#[test]
fn posts_to_a_channel_burst_three_then_one_per_second_and_channels_are_independent() {
    let mut w = rtm(WebApiConfig::default());
    let mut order = Vec::new();
    for id in 1..=5 {
        order.extend(sent(&w.call(id, post("C1", "x"))));
    }
    order.extend(sent(&w.call(10, post("C2", "y"))));
    assert_eq!(
        order,
        [CallId(1), CallId(10)],
        "one in flight per channel, C2 not held by C1"
    );
    // Answered at once: the burst of three goes at t0, then one a second.
    let mut at = vec![(CallId(1), Duration::ZERO)];
    let mut next = 1;
    while next < 5 {
        let a = w.ok(next);
        let mut s = sent(&a);
        if s.is_empty() {
            let (_, a) = w.tick_deadline();
            s = sent(&a);
        }
        assert_eq!(s, [CallId(next + 1)]);
        at.push((s[0], w.since_t0()));
        next += 1;
    }
    let times: Vec<Duration> = at.iter().map(|(_, t)| *t).collect();
    assert_eq!(
        times,
        [
            Duration::ZERO,
            Duration::ZERO,
            Duration::ZERO,
            secs(1),
            secs(2)
        ]
    );
    // C2 took no tokens of C1: its next three posts go at once (at t = 2 s).
    w.ok(10);
    let a = w.call(11, post("C2", "y"));
    assert_eq!(sent(&a), [CallId(11)]);
}

#[test]
fn posts_to_a_channel_stay_in_order_through_a_429() {
    let mut w = rtm(unpaced());
    let mut order = Vec::new();
    for id in 1..=3 {
        order.extend(sent(&w.call(id, post("C1", &format!("m{id}")))));
    }
    let a = w.answer(1, response(429, Some("2"), ""));
    order.extend(sent(&a));
    assert_eq!(order, [CallId(1)], "the ones behind a 429 wait");
    assert!(sent(&w.tick_at(secs(1))).is_empty());
    order.extend(sent(&w.tick_at(secs(2))));
    order.extend(sent(&w.ok(1)));
    order.extend(sent(&w.ok(2)));
    order.extend(sent(&w.ok(3)));
    assert_eq!(order, [CallId(1), CallId(1), CallId(2), CallId(3)]);
    assert_eq!(w.core.0.pending_api_calls(), 0);
}

#[test]
fn at_most_max_in_flight_calls_are_out_and_the_rest_queue_in_order() {
    let mut w = rtm(WebApiConfig::default().with_max_in_flight(2));
    let mut out = Vec::new();
    for id in 1..=4 {
        out.extend(sent(&w.call(id, generic("users.info"))));
    }
    assert_eq!(out, [CallId(1), CallId(2)]);
    assert_eq!(w.core.0.api_calls_in_flight(), 2);
    assert_eq!(sent(&w.ok(2)), [CallId(3)]);
    // A call waiting for its retry leaves its place to the next.
    assert_eq!(sent(&w.answer(1, response(500, None, ""))), [CallId(4)]);
    assert!(sent(&w.ok(3)).is_empty());
    let (_, a) = w.tick_deadline();
    assert_eq!(sent(&a), [CallId(1)]);
}

#[test]
fn shutdown_settles_every_call_with_client_closed_and_refuses_later_ones() {
    let mut w = rtm(unpaced());
    w.call(1, generic("users.info")); // in flight
    w.call(2, generic("team.info"));
    w.answer(2, response(429, Some("30"), "")); // held
    w.call(3, post("C1", "a")); // in flight
    w.call(4, post("C1", "b")); // queued behind it
    let a = w.feed(Input::Shutdown);
    let mut closed: Vec<u64> = settled(&a)
        .into_iter()
        .map(|(c, r)| {
            assert_eq!(r, Err(ApiError::ClientClosed));
            c.0
        })
        .collect();
    closed.sort();
    assert_eq!(closed, [1, 2, 3, 4]);
    assert!(sent(&a).is_empty());
    assert_eq!(w.core.deadline(), None);
    let a = w.ok(1);
    assert!(matches!(&a[..], [Action::Ignored { .. }]));
    let a = w.call(5, generic("users.info"));
    assert_eq!(only_error(&a, 5), ApiError::ClientClosed);
    assert_eq!(
        ApiError::ClientClosed.code(),
        "slack_webapi_client_closed_error"
    );
    w.core.1.assert_all_settled();
}

#[test]
fn calls_go_while_the_rtm_client_is_disconnected_connecting_or_reconnecting_and_disconnect_does_not_cancel_them()
 {
    let mut w = rtm(unpaced());
    assert_eq!(w.core.0.state(), State::Disconnected);
    assert_eq!(sent(&w.call(1, generic("users.info"))), [CallId(1)]);
    let a = w.feed(Input::Start(StartOptions::new("xoxb-rtm")));
    let conn = a
        .iter()
        .find_map(|a| match a {
            Action::CallWebApi { conn, .. } => Some(*conn),
            _ => None,
        })
        .unwrap();
    assert!(w.core.0.state().is_connecting());
    assert_eq!(
        sent(&w.call(2, post("C1", "while connecting"))),
        [CallId(2)]
    );
    // The RTM web call fails: reconnecting.
    w.feed(Input::WebApiResult {
        conn,
        result: response(500, None, ""),
    });
    assert_eq!(w.core.0.state(), State::Reconnecting);
    assert_eq!(sent(&w.call(3, generic("team.info"))), [CallId(3)]);
    let a = w.feed(Input::Disconnect);
    assert!(a.contains(&Action::DisconnectSettled));
    assert!(
        settled(&a).is_empty(),
        "disconnect does not cancel calls: {a:?}"
    );
    assert_eq!(w.core.0.state(), State::Disconnected);
    for id in 1..=3 {
        let a = w.ok(id);
        assert!(matches!(&settled(&a)[..], [(c, Ok(_))] if *c == CallId(id)));
    }
    w.feed(Input::Shutdown);
    w.core.1.assert_all_settled();
}

#[test]
fn socket_mode_makes_the_same_calls_in_every_state() {
    let mut w = socket_mode(WebApiConfig::default());
    assert_eq!(sent(&w.call(1, post("C1", "before start"))), [CallId(1)]);
    assert_eq!(w.core.deadline(), Some(w.t0 + secs(30)));
    w.feed(Input::Start(StartOptions::new("xapp-1")));
    assert!(w.core.0.state().is_connecting());
    assert!(
        sent(&w.call(2, post("C1", "second"))).is_empty(),
        "behind the first post"
    );
    let a = w.answer(1, response(429, Some("2"), ""));
    assert!(settled(&a).is_empty());
    let a = w.feed(Input::Disconnect);
    assert!(settled(&a).is_empty());
    let (at, a) = w.tick_deadline();
    assert_eq!((at, sent(&a)), (secs(2), vec![CallId(1)]));
    assert_eq!(sent(&w.ok(1)), [CallId(2)]);
    let a = w.answer(
        2,
        response(200, None, r#"{"ok":false,"error":"not_in_channel"}"#),
    );
    assert!(
        matches!(only_error(&a, 2), ApiError::Slack { error, .. } if error == "not_in_channel")
    );
    w.call(3, generic("users.info"));
    let a = w.feed(Input::Shutdown);
    assert_eq!(settled(&a), [(CallId(3), Err(ApiError::ClientClosed))]);
    assert_eq!(w.core.0.pending_api_calls(), 0);
}

#[test]
fn a_bad_web_api_config_is_refused_by_both_cores() {
    let bad = WebApiConfig::default().with_max_in_flight(0);
    assert!(bad.validate().is_err());
    assert!(Client::new(Config::default().with_web_api(bad.clone())).is_err());
    assert!(SocketModeClient::new(SocketModeConfig::default().with_web_api(bad)).is_err());
    for bad in [
        WebApiConfig::default().with_timeout(Duration::ZERO),
        WebApiConfig::default().with_pacing(Some(
            rtm_proto::Pacing::default()
                .with_per_second(0.0)
                .with_burst(3),
        )),
    ] {
        assert!(bad.validate().is_err());
    }
    assert!(WebApiConfig::default().validate().is_ok());
}

// ---- random interleavings ----

#[derive(Debug, Clone)]
enum Op {
    Call { channel: Option<u8>, method: u8 },
    Duplicate,
    Answer { pick: u8, kind: u8 },
    Wait(u16),
    ToDeadline,
    Disconnect,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (proptest::option::of(0u8..3), 0u8..3).prop_map(|(channel, method)| Op::Call { channel, method }),
        1 => Just(Op::Duplicate),
        5 => (any::<u8>(), any::<u8>()).prop_map(|(pick, kind)| Op::Answer { pick, kind }),
        2 => any::<u16>().prop_map(Op::Wait),
        2 => Just(Op::ToDeadline),
        1 => Just(Op::Disconnect),
    ]
}

fn random_answer(kind: u8) -> Result<WebResponse, TransportError> {
    match kind % 10 {
        0..=2 => response(200, None, OK),
        3 => response(200, None, r#"{"ok":false,"error":"channel_not_found"}"#),
        4 => response(429, Some(&(kind / 10 % 5).to_string()), ""),
        5 => response(503, None, ""),
        6 => Err(TransportError::retryable("reset")),
        7 => Err(TransportError::fatal("cert")),
        8 => response(200, None, "not json"),
        _ => response(200, None, r#"{"ok":false,"error":"ratelimited"}"#),
    }
}

/// Feeds `ops`, then time until nothing is pending, then `Shutdown`; checks on its own
/// (beside the invariant checker) that every `ApiCall` gets one `ApiSettled`, that no
/// `CallApi` names a call with nothing open, that no method is called before its 429's
/// `Retry-After` passed, and that at most `max_in_flight` calls are out. Returns (calls
/// made, settles seen).
fn run_ops<C: Core>(w: &mut W<C>, ops: &[Op], max_in_flight: usize) -> (u64, u64) {
    use std::collections::BTreeMap;
    let mut next = 0u64;
    let mut out: Vec<CallId> = Vec::new();
    // Per id: ApiCall inputs not yet settled.
    let mut open: BTreeMap<u64, u32> = BTreeMap::new();
    // The method of each call sent, and per method the end of its 429 hold.
    let mut methods: BTreeMap<u64, String> = BTreeMap::new();
    let mut held: BTreeMap<String, Instant> = BTreeMap::new();
    let (mut made, mut done) = (0u64, 0u64);
    let mut feed = |w: &mut W<C>, input: Input, out: &mut Vec<CallId>| {
        if let Input::ApiCall { call, .. } = &input {
            *open.entry(call.0).or_default() += 1;
            made += 1;
        }
        // A 429 (or `ratelimited`) answering an attempt under way holds its method.
        let hold = match &input {
            Input::ApiResult {
                call,
                result: Ok(r),
            } => {
                let wait = match (r.status, r.body.contains("ratelimited")) {
                    (429, _) => r
                        .retry_after
                        .as_deref()
                        .and_then(|s| s.parse::<u64>().ok())
                        .unwrap_or(1)
                        .clamp(1, 3600),
                    (200, true) => 1,
                    _ => 0,
                };
                (wait > 0).then(|| (*call, w.now + secs(wait)))
            }
            _ => None,
        };
        let a = w.feed(input);
        if let Some((call, until)) = hold
            && !a.iter().any(|x| matches!(x, Action::Ignored { .. }))
            && let Some(m) = methods.get(&call.0)
        {
            // The answer was taken (the call was in flight): its method is held.
            let h = held.entry(m.clone()).or_insert(until);
            *h = (*h).max(until);
        }
        for action in &a {
            if let Action::CallApi { call, method, .. } = action {
                if let Some(until) = held.get(method) {
                    assert!(w.now >= *until, "{method} called before its Retry-After");
                }
                methods.insert(call.0, method.clone());
            }
        }
        assert!(w.core.in_flight() <= max_in_flight, "over max_in_flight");
        for (c, _) in settled(&a) {
            let n = open.get_mut(&c.0).expect("settled a call never made");
            assert!(*n > 0, "{c} settled twice");
            *n -= 1;
            done += 1;
        }
        for c in sent(&a) {
            assert!(
                open.get(&c.0).is_some_and(|n| *n > 0),
                "CallApi for settled {c}"
            );
            out.push(c);
        }
    };
    for op in ops {
        let input = match op {
            Op::Call { channel, method } => {
                next += 1;
                let request = match channel {
                    Some(c) => post(&format!("C{c}"), "x"),
                    None => {
                        generic(["users.info", "team.info", "conversations.list"][*method as usize])
                    }
                };
                Input::ApiCall {
                    call: CallId(next),
                    request,
                }
            }
            Op::Duplicate => Input::ApiCall {
                call: CallId(next.max(1)),
                request: generic("users.info"),
            },
            Op::Answer { pick, kind } => {
                let call = out
                    .iter()
                    .rev()
                    .nth(usize::from(pick % 6))
                    .copied()
                    .unwrap_or(CallId(u64::from(*pick)));
                Input::ApiResult {
                    call,
                    result: random_answer(*kind),
                }
            }
            Op::Wait(n) => {
                w.now += ms(u64::from(*n));
                Input::Tick
            }
            Op::ToDeadline => match w.core.deadline() {
                Some(d) => {
                    w.now = w.now.max(d);
                    Input::Tick
                }
                None => continue,
            },
            Op::Disconnect => Input::Disconnect,
        };
        feed(w, input, &mut out);
    }
    // Without answers, time alone settles everything (each attempt times out).
    for _ in 0..1000 {
        let Some(d) = w.core.deadline() else { break };
        w.now = w.now.max(d);
        feed(w, Input::Tick, &mut out);
    }
    feed(w, Input::Shutdown, &mut out);
    (made, done)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_call_settles_exactly_once_and_none_is_sent_after_it_settles(
        ops in proptest::collection::vec(op(), 0..80),
        max_in_flight in 1usize..4,
    ) {
        let config = WebApiConfig::default().with_max_in_flight(max_in_flight).with_timeout(secs(5));
        let mut w = rtm(config.clone());
        let (made, done) = run_ops(&mut w, &ops, max_in_flight);
        prop_assert_eq!(made, done);
        // The shared invariant checker saw the same.
        w.core.1.assert_all_settled();
        prop_assert_eq!(w.core.1.api().counts(), (made, done));
        prop_assert_eq!(w.core.0.pending_api_calls(), 0);

        let mut s = socket_mode(config);
        let (made, done) = run_ops(&mut s, &ops, max_in_flight);
        prop_assert_eq!(made, done);
        prop_assert_eq!(s.core.1.api().open(), 0);
        prop_assert_eq!(s.core.1.api().counts(), (made, done));
    }
}
