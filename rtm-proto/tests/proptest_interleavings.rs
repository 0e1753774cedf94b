//! Random interleavings of user commands, transport results, frames (valid, malformed, replies
//! to unknown ids, duplicate replies) and time jumps, then a well-behaved Slack.
//!
//! Invariants checked on every case:
//! - no panic;
//! - every send settles exactly once (never twice while running; once each after `Shutdown`);
//! - message ids on the wire strictly increase, across reconnects;
//! - every state but `Disconnected` and `Ready` has a deadline;
//! - the web call after a 429 never comes before its Retry-After; no backoff wait exceeds
//!   `max(retry.max_delay, Retry-After)`;
//! - messages per channel never exceed the pacing bucket (`burst + elapsed * per_second`);
//! - the same configuration, seed and inputs give the same actions (each case runs twice);
//! - once the faults stop and the transport behaves ([`common::FakeSlack`]), the client is
//!   `Ready` again within [`recovery_bound`] of virtual time.
// Needs the `invariants` feature (on through the dev-dependency on this crate; not in the packaged crate).
#![cfg(feature = "invariants")]

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::*;
use proptest::prelude::*;
use rtm_proto::invariants::Invariants;
use rtm_proto::{
    Action, Config, ConnId, Connected, Input, Outgoing, Pacing, RetryLimit, RetryPolicy,
    SendHandle, State,
};
use serde_json::json;

#[derive(Debug, Clone)]
enum Fail {
    Status500,
    RateLimited(u64),
    Recoverable,
    Fatal,
    Transport,
    BadBody,
}

#[derive(Debug, Clone)]
enum Frame {
    Event(usize),
    Malformed(usize),
    ReplyUnknown(u64),
    ReplyDuplicate,
    /// A reply to the n-th most recent id written; ok or error.
    Reply(usize, bool),
    Pong,
    Goodbye,
    Migration,
    ServerError,
    Hello,
}

#[derive(Debug, Clone)]
enum Op {
    Start,
    Disconnect,
    Immediate(u8),
    Queued(bool),
    Message(u8),
    Typing,
    Presence,
    WebOk {
        stale: bool,
    },
    WebFail(Fail),
    WsOpened {
        stale: bool,
    },
    Frame {
        frame: Frame,
        stale: bool,
    },
    Closed {
        stale: bool,
    },
    WsError,
    Binary,
    /// Advance the clock (ms), then tick or not.
    Jump(u32, bool),
    /// Advance to the next deadline and tick.
    TickDeadline,
    /// The driver stops (true) or resumes reading the socket (a slow subscriber).
    Read(bool),
    /// An input stamped with an earlier time than the last one (a stale `now` from the
    /// adapter), then a tick.
    Rewind(u32),
}

const EVENTS: &[&str] = &[
    r#"{"type":"message","channel":"C1","user":"U1","text":"hi","ts":"1.1"}"#,
    r#"{"type":"message","subtype":"bot_message","channel":"C1","bot_id":"B1","text":"x","ts":"1.2"}"#,
    r#"{"type":"user_typing","channel":"C1","user":"U1"}"#,
    r#"{"type":"presence_change","user":"U1","presence":"away"}"#,
    r#"{"type":"reaction_added","user":"U1","reaction":"+1","item":{"type":"message","channel":"C1","ts":"1.1"}}"#,
    r#"{"type":"reconnect_url","url":"wss://x"}"#,
    r#"{"type":"brand_new","a":[1,{"b":null}]}"#,
];

const MALFORMED: &[&str] = &[
    "",
    "{",
    "not json",
    "[\"hello\"]",
    "null",
    r#"{"type":"message"} x"#,
    r#"{"type":5,"reply_to":"1"}"#,
];

fn fail_strategy() -> impl Strategy<Value = Fail> {
    prop_oneof![
        3 => Just(Fail::Status500),
        2 => (0u64..200).prop_map(Fail::RateLimited),
        3 => Just(Fail::Recoverable),
        1 => Just(Fail::Fatal),
        2 => Just(Fail::Transport),
        1 => Just(Fail::BadBody),
    ]
}

fn frame_strategy() -> impl Strategy<Value = Frame> {
    prop_oneof![
        4 => (0..EVENTS.len()).prop_map(Frame::Event),
        2 => (0..MALFORMED.len()).prop_map(Frame::Malformed),
        1 => (0u64..5).prop_map(Frame::ReplyUnknown),
        2 => Just(Frame::ReplyDuplicate),
        5 => (0usize..4, prop::bool::weighted(0.8)).prop_map(|(n, ok)| Frame::Reply(n, ok)),
        2 => Just(Frame::Pong),
        1 => Just(Frame::Goodbye),
        1 => Just(Frame::Migration),
        1 => Just(Frame::ServerError),
        4 => Just(Frame::Hello),
    ]
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Start),
        1 => Just(Op::Disconnect),
        2 => (0u8..3).prop_map(Op::Immediate),
        2 => any::<bool>().prop_map(Op::Queued),
        4 => (0u8..3).prop_map(Op::Message),
        1 => Just(Op::Typing),
        1 => Just(Op::Presence),
        6 => prop::bool::weighted(0.1).prop_map(|stale| Op::WebOk { stale }),
        2 => fail_strategy().prop_map(Op::WebFail),
        5 => prop::bool::weighted(0.1).prop_map(|stale| Op::WsOpened { stale }),
        10 => (frame_strategy(), prop::bool::weighted(0.1))
            .prop_map(|(frame, stale)| Op::Frame { frame, stale }),
        1 => prop::bool::weighted(0.2).prop_map(|stale| Op::Closed { stale }),
        1 => Just(Op::WsError),
        1 => Just(Op::Binary),
        3 => (0u32..70_000, any::<bool>()).prop_map(|(ms, tick)| Op::Jump(ms, tick)),
        3 => Just(Op::TickDeadline),
        1 => (0u32..5_000).prop_map(Op::Rewind),
        2 => any::<bool>().prop_map(Op::Read),
    ]
}

fn config_strategy() -> impl Strategy<Value = Config> {
    (
        any::<u64>(),
        prop::bool::weighted(0.8),
        any::<bool>(),
        prop::option::of(0u32..6),
        prop::option::of(1u64..60),
        any::<bool>(),
        prop::sample::select(vec![2usize, 5, 1024]),
        100u64..8000,
    )
        .prop_map(
            |(seed, auto_reconnect, use_rtm_connect, max_retries, reply, paced, queue, resume)| {
                Config::default()
                    .with_seed(seed)
                    .with_auto_reconnect(auto_reconnect)
                    .with_use_rtm_connect(use_rtm_connect)
                    .with_retry(RetryPolicy::with_limit(
                        max_retries.map_or(RetryLimit::Forever, RetryLimit::Attempts),
                    ))
                    .with_reply_timeout(reply.map(Duration::from_secs))
                    .with_pacing(paced.then_some(Pacing::default()))
                    .with_queue_limit(queue)
                    .with_reply_ack_on_reconnect_timeout(Duration::from_millis(resume))
            },
        )
}

/// The longest Retry-After the strategies inject.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(200);

/// How long, once faults stop, the client may take to be ready again:
///
/// `max(web_call_timeout, hello_timeout, close_timeout, server_pong_timeout)` for whatever the
/// faults left hanging (a web call or socket nobody answers, a close nobody completes) to time
/// out, plus `max(retry.max_delay, the largest Retry-After)` for one backoff wait, plus
/// `reply_ack_on_reconnect_timeout` for the resume window of replies lost with the old
/// connection. With the default configuration: 30 s + 200 s + up to 8 s.
fn recovery_bound(c: &Config) -> Duration {
    c.web_call_timeout
        .max(c.hello_timeout)
        .max(c.close_timeout)
        .max(c.server_pong_timeout)
        + c.retry.max_delay.max(MAX_RETRY_AFTER)
        + c.reply_ack_on_reconnect_timeout
}

struct Run {
    h: H,
    /// The latest attempt (from the latest web call).
    conn: ConnId,
    acked: Vec<u64>,
    next_handle: u64,
    /// The shared invariants (settle once, ids, deadlines, Retry-After and the backoff cap).
    check: Invariants,
    /// When each `message` frame was written, per channel.
    messages: HashMap<String, Vec<Instant>>,
    /// Whether time ever went backwards (pacing is then checked no further).
    rewound: bool,
}

impl Run {
    fn new(config: Config) -> Run {
        Run {
            h: H::new(config),
            conn: ConnId(0),
            acked: Vec::new(),
            next_handle: 1,
            check: Invariants::new(),
            messages: HashMap::new(),
            rewound: false,
        }
    }

    /// Feeds one input and checks the invariants on what comes out (the shared checker,
    /// plus the per-channel message times for the pacing check).
    fn feed(&mut self, input: Input) -> Vec<Action> {
        self.check.observe(&input);
        let actions = self.h.input(input);
        self.check.check(self.h.now, &self.h.client, &actions);
        for a in &actions {
            match a {
                Action::CallWebApi { conn, .. } => self.conn = *conn,
                Action::SendText { text, .. } => {
                    let v: serde_json::Value = serde_json::from_str(text).expect("JSON frame");
                    if v["type"] == "message" {
                        let channel = v["channel"].as_str().unwrap_or_default().to_owned();
                        self.messages.entry(channel).or_default().push(self.h.now);
                    }
                }
                _ => {}
            }
        }
        actions
    }

    fn last_id(&self) -> u64 {
        self.check.written().last().copied().unwrap_or(0)
    }

    fn handle(&mut self) -> SendHandle {
        let h = SendHandle(self.next_handle);
        self.next_handle += 1;
        h
    }

    fn conn(&self, stale: bool) -> ConnId {
        if stale {
            ConnId(self.conn.0.saturating_sub(1))
        } else {
            self.conn
        }
    }

    fn apply(&mut self, op: &Op) {
        let input = match op {
            Op::Start => Input::Start(rtm_proto::StartOptions::new(TOKEN)),
            Op::Disconnect => Input::Disconnect,
            Op::Immediate(c) => {
                let h = self.handle();
                let (kind, body) = if *c == 0 {
                    ("custom", json!({"n": 1}))
                } else {
                    (
                        "message",
                        json!({"channel": format!("C{c}"), "text": "now"}),
                    )
                };
                Input::Send {
                    handle: h,
                    outgoing: Outgoing {
                        kind: kind.into(),
                        body,
                        mode: rtm_proto::SendMode::Immediate,
                    },
                }
            }
            Op::Queued(await_reply) => {
                let h = self.handle();
                Input::Send {
                    handle: h,
                    outgoing: Outgoing {
                        kind: "custom".into(),
                        body: json!({}),
                        mode: rtm_proto::SendMode::Queued {
                            await_reply: *await_reply,
                        },
                    },
                }
            }
            Op::Message(c) => {
                let h = self.handle();
                Input::Send {
                    handle: h,
                    outgoing: Outgoing::message("hello", &format!("C{c}")),
                }
            }
            Op::Typing => {
                let h = self.handle();
                Input::Send {
                    handle: h,
                    outgoing: Outgoing::typing("C1"),
                }
            }
            Op::Presence => {
                let h = self.handle();
                Input::Send {
                    handle: h,
                    outgoing: Outgoing::presence_sub(&["U1", "U2"]),
                }
            }
            Op::WebOk { stale } => web_ok(self.conn(*stale)),
            Op::WebFail(f) => {
                let c = self.conn;
                match f {
                    Fail::Status500 => web_status(c, 500, None, ""),
                    Fail::RateLimited(s) => web_status(
                        c,
                        429,
                        Some(&s.to_string()),
                        r#"{"ok":false,"error":"ratelimited"}"#,
                    ),
                    Fail::Recoverable => web_error(c, "internal_error"),
                    Fail::Fatal => web_error(c, "invalid_auth"),
                    Fail::Transport => Input::WebApiResult {
                        conn: c,
                        result: Err("connection reset".into()),
                    },
                    Fail::BadBody => web_status(c, 200, None, "<html>"),
                }
            }
            Op::WsOpened { stale } => Input::WsOpened {
                conn: self.conn(*stale),
            },
            Op::Frame { frame, stale } => {
                let t = match frame {
                    Frame::Event(i) => EVENTS[*i].to_owned(),
                    Frame::Malformed(i) => MALFORMED[*i].to_owned(),
                    Frame::ReplyUnknown(k) => ack(1_000_000 + k),
                    Frame::ReplyDuplicate => ack(self.acked.last().copied().unwrap_or(1)),
                    Frame::Reply(n, ok) => {
                        let id = self
                            .check
                            .written()
                            .iter()
                            .rev()
                            .nth(*n)
                            .copied()
                            .unwrap_or(self.last_id() + 1);
                        self.acked.push(id);
                        if *ok {
                            ack(id)
                        } else {
                            format!(
                                r#"{{"ok":false,"reply_to":{id},"error":{{"code":2,"msg":"no"}}}}"#
                            )
                        }
                    }
                    Frame::Pong => format!(r#"{{"type":"pong","reply_to":{}}}"#, self.last_id()),
                    Frame::Goodbye => r#"{"type":"goodbye"}"#.to_owned(),
                    Frame::Migration => r#"{"type":"team_migration_started"}"#.to_owned(),
                    Frame::ServerError => {
                        r#"{"type":"error","error":{"code":1,"msg":"Socket URL has expired"}}"#
                            .to_owned()
                    }
                    Frame::Hello => r#"{"type":"hello"}"#.to_owned(),
                };
                text(self.conn(*stale), &t)
            }
            Op::Closed { stale } => closed(self.conn(*stale), 1006),
            Op::WsError => Input::WsError {
                conn: self.conn,
                error: "reset".into(),
            },
            Op::Binary => Input::WsBinary {
                conn: self.conn,
                len: 4,
            },
            Op::Read(true) => Input::ReadPaused { conn: self.conn },
            Op::Read(false) => Input::ReadResumed { conn: self.conn },
            Op::Jump(ms, tick) => {
                self.h.advance(Duration::from_millis(u64::from(*ms)));
                if !tick {
                    return;
                }
                Input::Tick
            }
            Op::Rewind(ms) => {
                self.rewound = true;
                let back = Duration::from_millis(u64::from(*ms));
                self.h.now = self
                    .h
                    .now
                    .checked_sub(back)
                    .unwrap_or(self.h.t0)
                    .max(self.h.t0);
                Input::Tick
            }
            Op::TickDeadline => {
                if let Some(at) = self.h.client.next_deadline()
                    && at > self.h.now
                {
                    self.h.now = at;
                }
                Input::Tick
            }
        };
        self.feed(input);
    }

    /// Faults stop: a well-behaved Slack answers. Returns the virtual time until ready.
    fn recover(&mut self) -> Duration {
        let begin = self.h.now;
        let bound = recovery_bound(self.h.client.config());
        let mut fake = FakeSlack::default();
        for _ in 0..10_000 {
            if self.h.state() == State::Disconnected {
                let a = self.feed(Input::Start(rtm_proto::StartOptions::new(TOKEN)));
                fake.perform(&a);
            }
            while let Some(input) = fake.inbox.pop_front() {
                let a = self.feed(input);
                fake.perform(&a);
            }
            if self.h.state() == State::Connected(Connected::Ready) {
                return self.h.now - begin;
            }
            if self.h.state() == State::Disconnected {
                continue;
            }
            let at = self.h.client.next_deadline().expect("a deadline");
            assert!(
                at <= begin + bound,
                "not ready within {bound:?}: {:?} waits until +{:?}",
                self.h.state(),
                at.saturating_duration_since(begin)
            );
            if at > self.h.now {
                self.h.now = at;
            }
            let a = self.feed(Input::Tick);
            fake.perform(&a);
        }
        panic!("no progress while recovering: {:?}", self.h.state());
    }

    /// Lets time pass until the queue is empty (paced messages wait their turn), so that a
    /// new send is not refused for a full queue.
    fn drain_queue(&mut self) {
        let mut fake = FakeSlack::default();
        for _ in 0..10_000 {
            if self.h.client.queued() == 0 {
                return;
            }
            if self.h.state() != State::Connected(Connected::Ready) {
                self.recover();
                continue;
            }
            if let Some(at) = self.h.client.next_deadline()
                && at > self.h.now
            {
                self.h.now = at;
            }
            let a = self.feed(Input::Tick);
            fake.perform(&a);
            while let Some(input) = fake.inbox.pop_front() {
                let a = self.feed(input);
                fake.perform(&a);
            }
        }
        panic!("the queue never drained: {} left", self.h.client.queued());
    }

    fn check_pacing(&self) {
        if let (Some(p), false) = (self.h.client.config().pacing, self.rewound) {
            assert_bucket(&self.messages, p);
        }
    }

    fn shutdown(&mut self) {
        self.feed(Input::Shutdown);
        self.check.assert_all_settled();
    }
}

fn run(config: &Config, ops: &[Op]) -> (Vec<Action>, Duration) {
    let mut r = Run::new(config.clone());
    for op in ops {
        r.apply(op);
    }
    let took = r.recover();
    assert!(took <= recovery_bound(config));
    // The session works: once the queue has room (sends paced before may still wait), a
    // message goes and is acked.
    r.drain_queue();
    let h = r.handle();
    let a = r.feed(Input::Send {
        handle: h,
        outgoing: Outgoing::message("after recovery", "C9"),
    });
    let mut fake = FakeSlack::default();
    fake.perform(&a);
    while let Some(input) = fake.inbox.pop_front() {
        let a = r.feed(input);
        fake.perform(&a);
    }
    assert!(
        matches!(
            settles(&r.h.log).iter().find(|(x, _)| *x == h),
            Some((_, Ok(rtm_proto::Sent::Replied(_))))
        ),
        "a send after recovery is acked"
    );
    r.check_pacing();
    r.shutdown();
    (r.h.log, took)
}

/// A fixed seed by default, so that every CI run checks the same cases and a failure
/// reproduces; `RTM_PROPTEST_SEED=<n>` picks others, `RTM_PROPTEST_SEED=random` a fresh one
/// (explore with it, then keep what it finds in the `.proptest-regressions` file).
fn seed() -> proptest::test_runner::RngSeed {
    use proptest::test_runner::RngSeed;
    match std::env::var("RTM_PROPTEST_SEED") {
        Ok(v) if v == "random" => RngSeed::Random,
        Ok(v) => RngSeed::Fixed(v.parse().expect("RTM_PROPTEST_SEED: a u64 or `random`")),
        Err(_) => RngSeed::Fixed(0x0072_746d),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { rng_seed: seed(), ..ProptestConfig::with_cases(2000) })]

    #[test]
    fn random_interleavings_keep_the_invariants(
        config in config_strategy(),
        ops in prop::collection::vec(op_strategy(), 0..60),
    ) {
        let (first, _) = run(&config, &ops);
        let (second, _) = run(&config, &ops);
        prop_assert!(first == second, "same seed and inputs, same actions");
    }
}

#[test]
fn the_recovery_bound_is_met_from_the_worst_stuck_states() {
    // A web call nobody answers, then a 429 with the longest Retry-After.
    let config = Config::default();
    let mut r = Run::new(config.clone());
    r.apply(&Op::Start);
    r.apply(&Op::WebFail(Fail::RateLimited(199)));
    let took = r.recover();
    assert!(took >= Duration::from_secs(199) && took <= recovery_bound(&config));
    // A socket that never says hello.
    let mut r = Run::new(config.clone());
    r.apply(&Op::Start);
    r.apply(&Op::WebOk { stale: false });
    let took = r.recover();
    assert!(took >= config.hello_timeout && took <= recovery_bound(&config));
    let _ = Instant::now();
}

/// Per channel, any run of message frames from the i-th to the j-th fits the token bucket:
/// `j - i + 1 <= burst + (t_j - t_i) * per_second`.
fn assert_bucket(times: &HashMap<String, Vec<Instant>>, p: Pacing) {
    for (channel, times) in times {
        for i in 0..times.len() {
            for j in i..times.len() {
                let span = (times[j] - times[i]).as_secs_f64();
                let allowed = f64::from(p.burst) + span * p.per_second + 1e-6;
                let n = (j - i + 1) as f64;
                assert!(
                    n <= allowed,
                    "{channel}: {n} messages in {span} s with {p:?}"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { rng_seed: seed(), ..ProptestConfig::with_cases(300) })]

    /// Pacing, on a healthy session: the bucket is never exceeded, queued messages all go
    /// (in order per channel), and an immediate message refused as paced is told a wait that
    /// is enough.
    #[test]
    fn pacing_never_exceeds_the_bucket_and_everything_queued_goes(
        per_second in 0.5f64..5.0,
        burst in 1u32..5,
        steps in prop::collection::vec((0u8..3, 0u64..1500, prop::bool::weighted(0.3)), 1..60),
    ) {
        let pacing = Pacing::default().with_per_second(per_second).with_burst(burst);
        let (mut h, _) = H::ready(Config::default().with_pacing(Some(pacing)));
        let mut fake = FakeSlack::default();
        let mut times: HashMap<String, Vec<Instant>> = HashMap::new();
        let mut order: HashMap<String, Vec<u64>> = HashMap::new();
        let mut queued: HashMap<String, Vec<u64>> = HashMap::new();
        let mut record = |h: &H, a: &[Action], fake: &mut FakeSlack| {
            for v in written(a) {
                if v["type"] == "message" {
                    let ch = v["channel"].as_str().unwrap().to_owned();
                    times.entry(ch.clone()).or_default().push(h.now);
                    order.entry(ch).or_default().push(v["text"].as_str().unwrap().parse().unwrap());
                }
            }
            fake.perform(a);
        };
        let mut n = 0u64;
        for (ch, gap, immediate_send) in steps {
            let target = h.now + Duration::from_millis(gap);
            while let Some(at) = h.client.next_deadline().filter(|at| *at <= target) {
                h.now = h.now.max(at);
                let a = h.input(Input::Tick);
                record(&h, &a, &mut fake);
                let a = fake.settle(&mut h);
                record(&h, &a, &mut fake);
            }
            h.now = target;
            n += 1;
            let channel = format!("C{ch}");
            let a = if immediate_send {
                let a = h.input(immediate(n, "message", json!({"channel": channel, "text": n.to_string()})));
                if let Some(Err(rtm_proto::SendError::Paced { retry_after })) = settle_of(&a, n) {
                    // The wait told is positive and at most a full bucket's refill.
                    prop_assert!(retry_after > Duration::ZERO);
                    prop_assert!(retry_after <= Duration::from_secs_f64(f64::from(burst) / per_second) + Duration::from_millis(1));
                }
                a
            } else {
                queued.entry(channel.clone()).or_default().push(n);
                h.input(message(n, &channel, &n.to_string()))
            };
            record(&h, &a, &mut fake);
            let a = fake.settle(&mut h);
            record(&h, &a, &mut fake);
        }
        // Drain the queue.
        let mut guard = 0;
        while h.client.queued() > 0 {
            guard += 1;
            prop_assert!(guard < 10_000);
            let a = h.tick_deadline();
            record(&h, &a, &mut fake);
            let a = fake.settle(&mut h);
            record(&h, &a, &mut fake);
        }
        prop_assert_eq!(h.state(), State::Connected(Connected::Ready));
        assert_bucket(&times, pacing);
        // Queued messages went in order per channel.
        for (ch, q) in &queued {
            let written: Vec<u64> = order[ch].iter().copied().filter(|n| q.contains(n)).collect();
            prop_assert_eq!(&written, q);
        }
    }
}
