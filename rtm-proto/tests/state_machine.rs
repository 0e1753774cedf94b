//! The connection state machine: every state, its way in and its way out, with virtual time.

mod common;

use std::time::Duration;

use common::*;
use rtm_proto::{
    Action, Client, Config, ConfigError, Connected, Connecting, Event, Input, RetryLimit,
    RetryPolicy, RtmError, SendHandle, StartOptions, State, WebMethod,
};

const READY: State = State::Connected(Connected::Ready);
const RESUMING: State = State::Connected(Connected::Resuming);
const AUTHENTICATING: State = State::Connecting(Connecting::Authenticating);
const AUTHENTICATED: State = State::Connecting(Connecting::Authenticated);
const HANDSHAKING: State = State::Connecting(Connecting::Handshaking);

fn forever(initial: Duration, max: Duration) -> Config {
    Config::default().with_retry(
        RetryPolicy::default()
            .with_first_start(RetryLimit::Forever)
            .with_reconnect(RetryLimit::Forever)
            .with_initial_delay(initial)
            .with_factor(2.0)
            .with_max_delay(max),
    )
}

#[test]
fn start_via_rtm_connect_walks_connecting_then_connected_with_lifecycle_events() {
    let mut h = H::default();
    assert_eq!(h.state(), State::Disconnected);
    assert_eq!(h.client.next_deadline(), None);

    let a = h.start();
    assert_eq!(lifecycle(&a), ["connecting"]);
    let Some(Action::CallWebApi {
        conn,
        method,
        token,
        form,
    }) = a
        .iter()
        .find(|a| matches!(a, Action::CallWebApi { .. }))
        .cloned()
    else {
        panic!("no web call: {a:?}")
    };
    assert_eq!(method, WebMethod::RtmConnect);
    assert_eq!(method.as_str(), "rtm.connect");
    assert_eq!(token.expose(), TOKEN);
    assert!(form.is_empty());
    assert_eq!(h.state(), AUTHENTICATING);
    assert!(!h.client.is_authenticated() && !h.client.is_connected());

    let a = h.input(web_ok(conn));
    assert_eq!(lifecycle(&a), ["authenticated"]);
    let Some(Event::Authenticated(info)) = events(&a).first().cloned() else {
        panic!()
    };
    assert_eq!(info.self_id, "U4X318ZMZ");
    assert_eq!(info.team_id, "T2U81E2FP");
    assert_eq!(info.team_domain, "slackdemo");
    assert_eq!(
        opened(&a),
        Some((conn, format!("wss://fake.slack/{}", conn.0)))
    );
    assert_eq!(h.state(), AUTHENTICATED);
    assert!(h.client.is_authenticated() && !h.client.is_connected());
    assert_eq!(h.client.active_user_id(), Some("U4X318ZMZ"));
    assert_eq!(h.client.active_team_id(), Some("T2U81E2FP"));

    let a = h.input(Input::WsOpened { conn });
    assert!(a.is_empty(), "{a:?}");
    assert_eq!(h.state(), HANDSHAKING);
    assert!(!h.client.is_connected());

    let a = h.input(hello(conn));
    assert_eq!(lifecycle(&a), ["connected", "ready"]);
    assert!(matches!(events(&a)[0], Event::Slack(e) if e.event_type() == Some("hello")));
    let info = start_settled(&a).expect("start settles").expect("ok");
    assert_eq!(info.self_id, "U4X318ZMZ");
    assert_eq!(h.state(), READY);
    assert!(h.client.is_connected() && h.client.is_authenticated());
}

#[test]
fn start_via_rtm_start_when_use_rtm_connect_is_off() {
    let mut h = H::new(Config::default().with_use_rtm_connect(false));
    let a = h.start();
    let method = a.iter().find_map(|a| match a {
        Action::CallWebApi { method, .. } => Some(*method),
        _ => None,
    });
    assert_eq!(method, Some(WebMethod::RtmStart));
    assert_eq!(WebMethod::RtmStart.as_str(), "rtm.start");
    let conn = web_call(&a).unwrap();
    // rtm.start's answer carries more, which is kept whole.
    let body = r#"{"ok":true,"url":"wss://x/start","self":{"id":"U1","name":"bot"},"team":{"id":"T1","name":"Team","domain":"team"},"users":[{"id":"U1"}],"channels":[],"groups":[],"ims":[],"mpims":[],"bots":[]}"#;
    let a = h.input(web_status(conn, 200, None, body));
    assert_eq!(opened(&a).unwrap().1, "wss://x/start");
    assert_eq!(h.client.connect_info().unwrap().body, body);
    h.input(Input::WsOpened { conn });
    h.input(hello(conn));
    assert_eq!(h.state(), READY);
}

#[test]
fn start_options_are_sent_as_form_and_reused_on_every_reconnect() {
    let mut h = H::default();
    let mut options = StartOptions::new(TOKEN);
    options.batch_presence_aware = Some(true);
    options.presence_sub = Some(false);
    let a = h.input(Input::Start(options));
    let form_of = |a: &[Action]| {
        a.iter()
            .find_map(|a| match a {
                Action::CallWebApi { token, form, .. } => {
                    Some((token.expose().to_owned(), form.clone()))
                }
                _ => None,
            })
            .expect("web call")
    };
    let expected = (
        TOKEN.to_owned(),
        vec![
            ("batch_presence_aware", "true".to_owned()),
            ("presence_sub", "false".to_owned()),
        ],
    );
    assert_eq!(form_of(&a), expected);
    let conn = web_call(&a).unwrap();
    h.establish(conn);
    // A stable session is lost: the reconnect uses the same options.
    h.advance(secs(60));
    let a = h.input(closed(conn, 1006));
    assert_eq!(form_of(&a), expected);
    // And after a failed attempt, the retry does too.
    let conn2 = web_call(&a).unwrap();
    h.input(web_status(conn2, 503, None, ""));
    let a = h.tick_deadline();
    assert_eq!(form_of(&a), expected);
}

#[test]
fn start_while_under_way_or_ready_settles_once_with_the_session() {
    let mut h = H::default();
    let a = h.start();
    let conn = web_call(&a).unwrap();
    // A second start while authenticating makes no second web call.
    let a = h.start();
    assert!(
        web_call(&a).is_none() && start_settled(&a).is_none(),
        "{a:?}"
    );
    let a = h.establish(conn);
    assert!(start_settled(&a).unwrap().is_ok());
    // Start when ready: settles at once with the session's info.
    let a = h.start();
    assert_eq!(start_settled(&a).unwrap().unwrap().team_id, "T2U81E2FP");
    assert!(web_call(&a).is_none());
}

#[test]
fn non_recoverable_connect_errors_end_disconnected_and_fail_start() {
    for error in rtm_proto::FATAL_CONNECT_ERRORS {
        let mut h = H::default();
        let conn = web_call(&h.start()).unwrap();
        let a = h.input(web_error(conn, error));
        let expected = RtmError::Platform {
            error: (*error).to_owned(),
        };
        assert_eq!(h.state(), State::Disconnected, "{error}");
        assert_eq!(start_settled(&a), Some(Err(expected.clone())), "{error}");
        assert_eq!(disconnected(&a), Some(Some(expected.clone())));
        assert!(events(&a).contains(&&Event::UnableToRtmStart(expected.clone())));
        assert_eq!(lifecycle(&a), ["unable_to_rtm_start", "disconnected"]);
        assert!(web_call(&a).is_none());
        assert_eq!(h.client.next_deadline(), None);
        assert!(!expected.is_recoverable());
        assert_eq!(expected.code(), "slack_webapi_platform_error");
    }
    assert_eq!(rtm_proto::FATAL_CONNECT_ERRORS.len(), 8);
}

#[test]
fn a_refused_websocket_url_ends_the_attempt_for_good() {
    let mut h = H::default();
    let conn = web_call(&h.start()).unwrap();
    let a = h.input(web_ok(conn));
    assert!(opened(&a).is_some());
    // A stale refusal is ignored; the current one ends the session without a retry.
    let stale = h.input(Input::WsRefused {
        conn: rtm_proto::ConnId(conn.0 + 7),
        reason: "nope".into(),
    });
    assert!(is_ignored(&stale));
    let a = h.input(Input::WsRefused {
        conn,
        reason: "plain ws:// to a remote host".into(),
    });
    let expected = RtmError::Refused {
        reason: "plain ws:// to a remote host".into(),
    };
    assert_eq!(h.state(), State::Disconnected);
    assert_eq!(start_settled(&a), Some(Err(expected.clone())));
    assert_eq!(lifecycle(&a), ["unable_to_rtm_start", "disconnected"]);
    assert!(web_call(&a).is_none() && reconnecting(&a).is_none());
    assert_eq!(h.client.next_deadline(), None);
    assert!(!expected.is_recoverable());
}

#[test]
fn a_fatal_transport_failure_ends_the_attempt_for_good() {
    let reason = "TLS certificate verification failed for example.com: unknown issuer";
    let expected = RtmError::Transport {
        error: reason.into(),
    };
    // During the web call.
    let mut h = H::default();
    let conn = web_call(&h.start()).unwrap();
    let stale = h.input(Input::TransportFatal {
        conn: rtm_proto::ConnId(conn.0 + 7),
        error: reason.into(),
    });
    assert!(is_ignored(&stale));
    let a = h.input(Input::TransportFatal {
        conn,
        error: reason.into(),
    });
    assert_eq!(h.state(), State::Disconnected);
    assert_eq!(start_settled(&a), Some(Err(expected.clone())));
    assert_eq!(lifecycle(&a), ["unable_to_rtm_start", "disconnected"]);
    assert!(web_call(&a).is_none() && reconnecting(&a).is_none());
    assert_eq!(h.client.next_deadline(), None);
    // While the socket opens.
    let mut h = H::default();
    let conn = web_call(&h.start()).unwrap();
    assert!(opened(&h.input(web_ok(conn))).is_some());
    let a = h.input(Input::TransportFatal {
        conn,
        error: reason.into(),
    });
    assert_eq!(h.state(), State::Disconnected);
    assert_eq!(start_settled(&a), Some(Err(expected.clone())));
    assert!(reconnecting(&a).is_none());
    assert!(!expected.is_recoverable());
    assert_eq!(expected.code(), "slack_rtmapi_transport_error");
}

#[test]
fn everything_else_retries_with_backoff() {
    type Fail = fn(rtm_proto::ConnId) -> Input;
    let cases: Vec<(&str, Fail)> = vec![
        ("internal_error", |c| web_error(c, "internal_error")),
        ("fatal_error", |c| web_error(c, "fatal_error")),
        ("request_timeout", |c| web_error(c, "request_timeout")),
        ("500", |c| web_status(c, 500, None, "oops")),
        ("503", |c| web_status(c, 503, None, "")),
        ("404", |c| web_status(c, 404, None, "not found")),
        ("403", |c| web_status(c, 403, None, "")),
        ("429", |c| {
            web_status(c, 429, None, r#"{"ok":false,"error":"ratelimited"}"#)
        }),
        ("transport", |c| Input::WebApiResult {
            conn: c,
            result: Err("connection refused".into()),
        }),
        ("html", |c| {
            web_status(c, 200, None, "<html>bad gateway</html>")
        }),
        ("no url", |c| {
            web_status(
                c,
                200,
                None,
                r#"{"ok":true,"self":{"id":"U"},"team":{"id":"T"}}"#,
            )
        }),
    ];
    for (name, fail) in cases {
        let mut h = H::default();
        let conn = web_call(&h.start()).unwrap();
        let a = h.input(fail(conn));
        assert_eq!(h.state(), State::Reconnecting, "{name}: {a:?}");
        let (attempt, delay, reason) = reconnecting(&a).expect(name);
        assert_eq!(attempt, 1, "{name}");
        assert!(reason.is_recoverable(), "{name}");
        // The first retry waits initial_delay (500 ms) with jitter in [1/2, 1].
        assert!(delay >= ms(250) && delay <= ms(500), "{name}: {delay:?}");
        assert_eq!(h.client.next_deadline(), Some(h.now + delay), "{name}");
        assert!(start_settled(&a).is_none(), "{name}");
        // Not before the delay.
        h.advance(delay - ms(1));
        assert!(web_call(&h.input(Input::Tick)).is_none(), "{name}");
        let a = h.tick_after(ms(1));
        let conn2 = web_call(&a).expect(name);
        assert_ne!(conn2, conn);
        assert_eq!(lifecycle(&a), ["connecting"]);
        // A late answer to the abandoned attempt is ignored.
        assert!(is_ignored(&h.input(web_ok(conn))), "{name}");
        // The retry works.
        let a = h.establish(conn2);
        assert!(start_settled(&a).unwrap().is_ok(), "{name}");
    }
}

#[test]
fn backoff_is_exponential_capped_jittered_and_seeded() {
    let delays = |seed: u64| {
        let mut h = H::new(forever(secs(1), secs(8)).with_seed(seed));
        let mut conn = web_call(&h.start()).unwrap();
        let mut out = Vec::new();
        for _ in 0..12 {
            let a = h.input(web_status(conn, 500, None, ""));
            let (attempt, delay, _) = reconnecting(&a).unwrap();
            assert_eq!(attempt as usize, out.len() + 1);
            out.push(delay);
            conn = web_call(&h.tick_deadline()).unwrap();
        }
        out
    };
    let a = delays(1);
    for (i, d) in a.iter().enumerate() {
        let full = secs(1u64 << i.min(3)).min(secs(8));
        assert!(
            *d >= full / 2 && *d <= full,
            "retry {}: {d:?} vs {full:?}",
            i + 1
        );
    }
    assert!(a[6..].iter().all(|d| *d <= secs(8)));
    // Jitter: not all capped delays are equal.
    assert!(a[4..].windows(2).any(|w| w[0] != w[1]), "{a:?}");
    assert_eq!(a, delays(1), "same seed, same delays");
    assert_ne!(a, delays(2), "another seed, other delays");
}

#[test]
fn rate_limit_retry_after_is_never_undercut() {
    let mut h = H::default();
    let conn = web_call(&h.start()).unwrap();
    let a = h.input(web_status(
        conn,
        429,
        Some("120"),
        r#"{"ok":false,"error":"ratelimited"}"#,
    ));
    let (_, delay, reason) = reconnecting(&a).unwrap();
    assert_eq!(
        reason,
        RtmError::RateLimited {
            retry_after: Some(secs(120))
        }
    );
    assert_eq!(delay, secs(120));
    assert_eq!(reason.code(), "slack_webapi_rate_limited_error");
    h.advance(secs(119));
    assert!(web_call(&h.input(Input::Tick)).is_none());
    h.advance(ms(999));
    assert!(web_call(&h.input(Input::Tick)).is_none());
    assert!(web_call(&h.tick_after(ms(1))).is_some());
}

#[test]
fn retry_budget_of_n_retries_then_gives_up() {
    let mut h = H::new(
        Config::default().with_retry(
            RetryPolicy::default()
                .with_first_start(RetryLimit::Attempts(3))
                .with_reconnect(RetryLimit::Attempts(3)),
        ),
    );
    let mut conn = web_call(&h.start()).unwrap();
    for attempt in 1..=3 {
        let a = h.input(web_error(conn, "internal_error"));
        assert_eq!(reconnecting(&a).unwrap().0, attempt);
        conn = web_call(&h.tick_deadline()).unwrap();
    }
    let a = h.input(web_error(conn, "internal_error"));
    let expected = RtmError::RetriesExhausted {
        attempts: 4,
        last: Box::new(RtmError::Platform {
            error: "internal_error".into(),
        }),
    };
    assert_eq!(start_settled(&a), Some(Err(expected.clone())));
    assert_eq!(disconnected(&a), Some(Some(expected.clone())));
    assert!(events(&a).contains(&&Event::UnableToRtmStart(expected)));
    assert_eq!(h.state(), State::Disconnected);
    assert_eq!(h.client.next_deadline(), None);
}

#[test]
fn retry_budget_forever_keeps_trying() {
    let mut h = H::new(forever(ms(100), secs(2)));
    let mut conn = web_call(&h.start()).unwrap();
    for attempt in 1..=200 {
        let a = h.input(Input::WebApiResult {
            conn,
            result: Err("dns".into()),
        });
        assert_eq!(reconnecting(&a).unwrap().0, attempt);
        conn = web_call(&h.tick_deadline()).unwrap();
    }
    assert!(start_settled(&h.establish(conn)).unwrap().is_ok());
}

#[test]
fn web_call_timeout_leads_out_of_authenticating() {
    let mut h = H::default();
    let conn = web_call(&h.start()).unwrap();
    assert_eq!(h.client.next_deadline(), Some(h.now + secs(30)));
    h.advance(secs(29));
    assert!(h.input(Input::Tick).is_empty());
    assert_eq!(h.state(), AUTHENTICATING);
    let a = h.tick_after(secs(1));
    assert_eq!(reconnecting(&a).unwrap().2, RtmError::WebCallTimeout);
    assert_eq!(h.state(), State::Reconnecting);
    assert!(is_ignored(&h.input(web_ok(conn))));
}

#[test]
fn hello_timeout_leads_out_of_authenticated_and_handshaking() {
    for open in [false, true] {
        let mut h = H::default();
        let conn = web_call(&h.start()).unwrap();
        h.input(web_ok(conn));
        if open {
            h.input(Input::WsOpened { conn });
            assert_eq!(h.state(), HANDSHAKING);
        } else {
            assert_eq!(h.state(), AUTHENTICATED);
        }
        assert_eq!(h.client.next_deadline(), Some(h.now + secs(10)));
        let a = h.tick_deadline();
        assert!(a.contains(&Action::DropWebSocket { conn }), "{a:?}");
        assert_eq!(reconnecting(&a).unwrap().2, RtmError::HelloTimeout);
        // A hello on the abandoned socket is ignored.
        assert!(is_ignored(&h.input(hello(conn))));
        let conn2 = web_call(&h.tick_deadline()).unwrap();
        assert!(start_settled(&h.establish(conn2)).unwrap().is_ok());
    }
}

#[test]
fn socket_failing_to_open_retries() {
    let mut h = H::default();
    let conn = web_call(&h.start()).unwrap();
    h.input(web_ok(conn));
    let a = h.input(Input::WsError {
        conn,
        error: "tls handshake failed".into(),
    });
    assert!(
        events(&a)
            .iter()
            .any(|e| matches!(e, Event::Error(RtmError::Websocket { .. })))
    );
    assert_eq!(h.state(), State::Reconnecting);
}

#[test]
fn every_transient_state_has_a_deadline_that_leads_out() {
    // Each setup leaves the client in a state that, left alone, must move on at its deadline.
    type Setup = fn(&mut H);
    let setups: Vec<(State, Setup)> = vec![
        (AUTHENTICATING, |h| {
            h.start();
        }),
        (AUTHENTICATED, |h| {
            let c = web_call(&h.start()).unwrap();
            h.input(web_ok(c));
        }),
        (HANDSHAKING, |h| {
            let c = web_call(&h.start()).unwrap();
            h.input(web_ok(c));
            h.input(Input::WsOpened { conn: c });
        }),
        (RESUMING, |h| {
            let (c, _) = h.connect();
            h.input(message(1, "C1", "hi"));
            h.advance(secs(10));
            let c2 = web_call(&h.input(closed(c, 1006))).unwrap();
            h.establish(c2);
        }),
        (State::Disconnecting, |h| {
            h.connect();
            h.input(Input::Disconnect);
        }),
        (State::Reconnecting, |h| {
            let c = web_call(&h.start()).unwrap();
            h.input(web_status(c, 500, None, ""));
        }),
    ];
    for (state, setup) in setups {
        let mut h = H::default();
        setup(&mut h);
        assert_eq!(h.state(), state);
        let deadline = h.client.next_deadline().expect("a deadline");
        assert!(
            deadline > h.now && deadline - h.now <= secs(30),
            "{state:?}"
        );
        h.tick_deadline();
        assert_ne!(h.state(), state, "{state:?} left at its deadline");
    }
}

#[test]
fn disconnect_from_every_state_settles() {
    // Disconnected: nothing to do; the disconnect is answered at once.
    let mut h = H::default();
    let a = h.input(Input::Disconnect);
    assert_eq!(a, [Action::DisconnectSettled]);

    // Authenticating and reconnecting: no socket, done at once; the start fails.
    for fail_first in [false, true] {
        let mut h = H::default();
        let conn = web_call(&h.start()).unwrap();
        if fail_first {
            h.input(web_status(conn, 500, None, ""));
            assert_eq!(h.state(), State::Reconnecting);
        }
        let a = h.input(Input::Disconnect);
        assert_eq!(lifecycle(&a), ["disconnecting", "disconnected"]);
        assert_eq!(start_settled(&a), Some(Err(RtmError::Disconnected)));
        assert_eq!(disconnected(&a), Some(None));
        assert_eq!(a.last(), Some(&Action::DisconnectSettled));
        assert_eq!(h.state(), State::Disconnected);
        assert_eq!(h.client.next_deadline(), None);
        assert!(is_ignored(&h.input(web_ok(conn))));
        assert_eq!(h.input(Input::Disconnect), [Action::DisconnectSettled]);
    }

    // Authenticated, handshaking, ready: close the socket; the close ends it.
    for (state, step) in [(AUTHENTICATED, 0), (HANDSHAKING, 1), (READY, 2)] {
        let mut h = H::default();
        let conn = web_call(&h.start()).unwrap();
        h.input(web_ok(conn));
        if step >= 1 {
            h.input(Input::WsOpened { conn });
        }
        if step >= 2 {
            h.input(hello(conn));
        }
        assert_eq!(h.state(), state);
        let a = h.input(Input::Disconnect);
        assert!(
            a.contains(&Action::CloseWebSocket { conn, code: 1000 }),
            "{a:?}"
        );
        assert_eq!(lifecycle(&a), ["disconnecting"]);
        assert!(
            !a.contains(&Action::DisconnectSettled),
            "not before the close"
        );
        assert_eq!(h.state(), State::Disconnecting);
        if step < 2 {
            // A start still under way fails now: the user asked to stop.
            assert_eq!(
                start_settled(&a),
                Some(Err(RtmError::Disconnected)),
                "{state:?}"
            );
        }
        // A second disconnect changes nothing.
        let again = h.input(Input::Disconnect);
        assert!(start_settled(&again).is_none() && lifecycle(&again).is_empty());
        assert!(again.is_empty(), "{again:?}");
        let a = h.input(closed(conn, 1000));
        assert_eq!(lifecycle(&a), ["disconnected"]);
        assert_eq!(disconnected(&a), Some(None));
        // Both disconnects settle together, once.
        let settled = a
            .iter()
            .filter(|x| **x == Action::DisconnectSettled)
            .count();
        assert_eq!(settled, 1);
        assert!(
            start_settled(&a).is_none(),
            "{state:?}: the start settled already"
        );
        assert_eq!(h.state(), State::Disconnected);
        assert_eq!(h.client.next_deadline(), None);
    }

    // Resuming.
    let mut h = H::default();
    let (conn, _) = h.connect();
    h.input(message(1, "C1", "hi"));
    h.advance(secs(10));
    let c2 = web_call(&h.input(closed(conn, 1006))).unwrap();
    h.establish(c2);
    assert_eq!(h.state(), RESUMING);
    let a = h.input(Input::Disconnect);
    assert!(a.contains(&Action::CloseWebSocket {
        conn: c2,
        code: 1000
    }));
    // The close never completes: the close timeout ends it, dropping the socket.
    let a = h.tick_deadline();
    assert!(a.contains(&Action::DropWebSocket { conn: c2 }));
    assert_eq!(
        settle_of(&a, 1),
        Some(Err(rtm_proto::SendError::NoReply {
            id: 1,
            reason: rtm_proto::NoReplyReason::SessionEnded
        }))
    );
    assert_eq!(h.state(), State::Disconnected);
}

#[test]
fn disconnect_then_start_while_closing_reconnects_after_the_close() {
    let mut h = H::default();
    let (conn, _) = h.connect();
    h.input(Input::Disconnect);
    let a = h.start();
    assert!(web_call(&a).is_none() && start_settled(&a).is_none());
    let a = h.input(closed(conn, 1000));
    assert_eq!(lifecycle(&a), ["disconnected", "connecting"]);
    let conn2 = web_call(&a).unwrap();
    assert!(start_settled(&h.establish(conn2)).unwrap().is_ok());

    // A disconnect before that close cancels the restart.
    let mut h = H::default();
    let (conn, _) = h.connect();
    h.input(Input::Disconnect);
    h.start();
    let a = h.input(Input::Disconnect);
    assert_eq!(start_settled(&a), Some(Err(RtmError::Disconnected)));
    let a = h.input(closed(conn, 1000));
    assert!(web_call(&a).is_none());
    assert_eq!(h.state(), State::Disconnected);
}

#[test]
fn inputs_that_make_no_sense_are_ignored() {
    let stale = rtm_proto::ConnId(999);
    // Disconnected.
    let mut h = H::default();
    for input in [
        Input::WsOpened { conn: stale },
        hello(stale),
        closed(stale, 1000),
        Input::WsBinary {
            conn: stale,
            len: 3,
        },
        Input::WsError {
            conn: stale,
            error: "x".into(),
        },
        web_ok(stale),
    ] {
        let name = input.name();
        assert_eq!(
            h.input(input),
            [Action::Ignored {
                input: name,
                state: State::Disconnected
            }]
        );
    }
    assert!(h.input(Input::Tick).is_empty(), "ticks are always harmless");
    // Ready: web results, second opens, other sockets.
    let (mut h, conn) = H::ready(Config::default());
    for input in [
        web_ok(conn),
        Input::WsOpened { conn },
        Input::WsOpened { conn: stale },
        hello(stale),
        closed(stale, 1000),
        web_ok(stale),
    ] {
        let name = input.name();
        assert_eq!(
            h.input(input),
            [Action::Ignored {
                input: name,
                state: READY
            }]
        );
    }
    assert_eq!(h.state(), READY);
    // A second hello on the live socket is passed on, and changes nothing.
    let a = h.input(hello(conn));
    assert!(lifecycle(&a).is_empty());
    assert_eq!(h.state(), READY);
    // Authenticating: socket inputs for the attempt that has no socket yet.
    let mut h = H::default();
    let conn = web_call(&h.start()).unwrap();
    assert!(is_ignored(&h.input(Input::WsOpened { conn })));
    assert!(is_ignored(&h.input(hello(conn))));
    assert!(is_ignored(&h.input(closed(conn, 1000))));
    assert_eq!(h.state(), AUTHENTICATING);
    assert!(start_settled(&h.establish(conn)).unwrap().is_ok());
}

#[test]
fn lost_connection_reconnects_with_reason_and_keeps_ids_growing() {
    type Lose = fn(&mut H, rtm_proto::ConnId) -> Vec<Action>;
    let cases: Vec<(RtmError, bool, Lose)> = vec![
        (RtmError::Goodbye, true, |h, c| {
            h.input(text(c, r#"{"type":"goodbye"}"#))
        }),
        (RtmError::TeamMigration, true, |h, c| {
            h.input(text(c, r#"{"type":"team_migration_started"}"#))
        }),
        (
            RtmError::Server {
                code: 1,
                msg: "Socket URL has expired".into(),
            },
            true,
            |h, c| {
                h.input(text(
                    c,
                    r#"{"type":"error","error":{"code":1,"msg":"Socket URL has expired"}}"#,
                ))
            },
        ),
        (
            RtmError::Closed {
                code: 1006,
                reason: String::new(),
            },
            false,
            |h, c| h.input(closed(c, 1006)),
        ),
        (
            RtmError::Websocket {
                error: "reset".into(),
            },
            true,
            |h, c| {
                h.input(Input::WsError {
                    conn: c,
                    error: "reset".into(),
                })
            },
        ),
    ];
    for (reason, drops, lose) in cases {
        let (mut h, conn) = H::ready(Config::default());
        let a = h.input(immediate(1, "custom", serde_json::json!({})));
        assert_eq!(written_ids(&a), [1]);
        h.advance(secs(60));
        let a = lose(&mut h, conn);
        assert_eq!(
            reconnecting(&a),
            Some((1, Duration::ZERO, reason.clone())),
            "{reason:?}"
        );
        assert_eq!(
            a.contains(&Action::DropWebSocket { conn }),
            drops,
            "{reason:?}: {a:?}"
        );
        if matches!(reason, RtmError::Server { .. } | RtmError::Websocket { .. }) {
            assert!(events(&a).contains(&&Event::Error(reason.clone())));
        }
        // A session that lived a while reconnects at once, with a fresh web call.
        let conn2 = web_call(&a).expect("fresh rtm.connect");
        assert_eq!(h.state(), AUTHENTICATING);
        let a = h.establish(conn2);
        assert!(start_settled(&a).is_none(), "start settled already");
        assert_eq!(h.state(), READY);
        let a = h.input(immediate(2, "custom", serde_json::json!({})));
        assert_eq!(written_ids(&a), [2], "ids are never reset");
    }
}

#[test]
fn lost_connection_without_auto_reconnect_ends_the_session() {
    let (mut h, conn) = H::ready(Config::default().with_auto_reconnect(false));
    h.input(message(1, "C1", "hi"));
    h.input(queued(2, "custom", serde_json::json!({}), false));
    let a = h.input(text(conn, r#"{"type":"goodbye"}"#));
    assert!(web_call(&a).is_none());
    assert!(a.contains(&Action::DropWebSocket { conn }));
    assert_eq!(disconnected(&a), Some(Some(RtmError::Goodbye)));
    assert_eq!(
        settle_of(&a, 1),
        Some(Err(rtm_proto::SendError::NoReply {
            id: 1,
            reason: rtm_proto::NoReplyReason::SessionEnded
        }))
    );
    assert_eq!(h.state(), State::Disconnected);
    assert_eq!(h.client.next_deadline(), None);
}

#[test]
fn a_session_that_dies_young_counts_as_a_failed_attempt() {
    let mut h = H::default();
    let (conn, _) = h.connect();
    // Dropped right after hello: back off rather than hammer the server.
    let a = h.input(closed(conn, 1006));
    let (attempt, delay, _) = reconnecting(&a).unwrap();
    assert_eq!(attempt, 1);
    assert!(delay >= ms(250), "{delay:?}");
    assert!(web_call(&a).is_none());
    let conn = web_call(&h.tick_deadline()).unwrap();
    h.establish(conn);
    let a = h.input(closed(conn, 1006));
    let (attempt, delay, _) = reconnecting(&a).unwrap();
    assert_eq!(attempt, 2);
    assert!(delay >= ms(500), "{delay:?}");
}

#[test]
fn keepalive_config_error() {
    for pong in [secs(6), secs(7)] {
        let config = Config::default()
            .with_client_ping_timeout(secs(6))
            .with_server_pong_timeout(pong);
        let err = Client::new(config.clone()).unwrap_err();
        assert_eq!(
            err,
            ConfigError::Keepalive {
                client_ping_timeout: secs(6),
                server_pong_timeout: pong
            }
        );
        assert_eq!(err.code(), "slack_rtmapi_keepalive_config_error");
        assert_eq!(config.validate(), Err(err));
    }
    assert!(
        Client::new(
            Config::default()
                .with_server_pong_timeout(ms(5999))
                .with_client_ping_timeout(secs(6))
        )
        .is_ok()
    );
}

#[test]
fn other_config_errors() {
    let bad = [
        Config::default().with_hello_timeout(Duration::ZERO),
        Config::default().with_queue_limit(0),
        Config::default().with_max_frame_bytes(10),
        Config::default().with_pacing(Some(
            rtm_proto::Pacing::default()
                .with_per_second(0.0)
                .with_burst(1),
        )),
        Config::default().with_retry(RetryPolicy::default().with_factor(0.5)),
    ];
    for c in bad {
        let e = Client::new(c).unwrap_err();
        assert_eq!(e.code(), "slack_rtmapi_config_error");
    }
}

#[test]
fn extreme_but_valid_configs_do_not_panic() {
    let configs = [
        Config::default().with_pacing(Some(
            rtm_proto::Pacing::default()
                .with_per_second(1e-300)
                .with_burst(u32::MAX),
        )),
        Config::default().with_pacing(Some(
            rtm_proto::Pacing::default()
                .with_per_second(1e-9)
                .with_burst(u32::MAX),
        )),
        Config::default().with_pacing(Some(
            rtm_proto::Pacing::default()
                .with_per_second(1e300)
                .with_burst(1),
        )),
        Config::default().with_retry(
            RetryPolicy::default()
                .with_first_start(RetryLimit::Forever)
                .with_reconnect(RetryLimit::Forever)
                .with_initial_delay(Duration::MAX)
                .with_factor(1e300)
                .with_max_delay(Duration::MAX),
        ),
    ];
    for config in configs {
        let (mut h, _) = H::ready(config);
        for i in 0..5 {
            h.input(message(i, "C1", "hi"));
        }
    }
}

#[test]
fn shutdown_settles_everything_and_refuses_what_follows() {
    let (mut h, _) = H::ready(Config::default());
    h.input(message(1, "C1", "one"));
    h.input(Input::Disconnect);
    h.input(message(2, "C1", "queued while closing"));
    let a = h.input(Input::Shutdown);
    assert_eq!(
        settle_of(&a, 1),
        Some(Err(rtm_proto::SendError::ClientClosed))
    );
    assert_eq!(
        settle_of(&a, 2),
        Some(Err(rtm_proto::SendError::ClientClosed))
    );
    assert!(a.iter().any(|a| matches!(a, Action::DropWebSocket { .. })));
    assert!(h.client.is_closed());
    assert_eq!(h.state(), State::Disconnected);
    assert_eq!(h.client.next_deadline(), None);
    let a = h.input(message(3, "C1", "after"));
    assert_eq!(
        settle_of(&a, 3),
        Some(Err(rtm_proto::SendError::ClientClosed))
    );
    assert_eq!(start_settled(&h.start()), Some(Err(RtmError::Disconnected)));
    assert!(h.input(Input::Shutdown).is_empty());
    // A pending start fails on shutdown.
    let mut h = H::default();
    h.start();
    let a = h.input(Input::Shutdown);
    assert_eq!(start_settled(&a), Some(Err(RtmError::Disconnected)));
    assert_eq!(settle_of(&a, 99), None);
    let _ = SendHandle(0);
}

#[test]
fn every_kind_of_loss_ends_the_session_without_auto_reconnect() {
    let losses: Vec<(Input, RtmError)> = {
        let c = rtm_proto::ConnId(1);
        vec![
            (text(c, r#"{"type":"goodbye"}"#), RtmError::Goodbye),
            (
                text(c, r#"{"type":"team_migration_started"}"#),
                RtmError::TeamMigration,
            ),
            (
                text(c, r#"{"type":"error","error":{"code":7,"msg":"m"}}"#),
                RtmError::Server {
                    code: 7,
                    msg: "m".into(),
                },
            ),
            (
                closed(c, 1001),
                RtmError::Closed {
                    code: 1001,
                    reason: String::new(),
                },
            ),
            (
                Input::WsError {
                    conn: c,
                    error: "eof".into(),
                },
                RtmError::Websocket {
                    error: "eof".into(),
                },
            ),
        ]
    };
    for (input, error) in losses {
        let (mut h, conn) = H::ready(Config::default().with_auto_reconnect(false));
        assert_eq!(conn, rtm_proto::ConnId(1));
        h.advance(secs(60));
        let a = h.input(input);
        assert!(
            web_call(&a).is_none() && reconnecting(&a).is_none(),
            "{error:?}"
        );
        assert_eq!(disconnected(&a), Some(Some(error.clone())));
        assert_eq!(h.state(), State::Disconnected);
        assert_eq!(h.client.next_deadline(), None);
        // A new start works.
        let (_, a) = h.connect();
        assert!(start_settled(&a).unwrap().is_ok());
    }
}

#[test]
fn the_reconnect_after_a_stable_session_is_not_a_retry() {
    // No retries at all: a failed connection attempt ends it, but a goodbye still reconnects.
    let (mut h, conn) = H::ready(
        Config::default().with_retry(
            RetryPolicy::default()
                .with_first_start(RetryLimit::Attempts(0))
                .with_reconnect(RetryLimit::Attempts(0)),
        ),
    );
    h.advance(secs(3600));
    let a = h.input(text(conn, r#"{"type":"goodbye"}"#));
    let c2 = web_call(&a).expect("reconnects");
    let a = h.input(web_status(c2, 503, None, ""));
    assert!(matches!(
        disconnected(&a),
        Some(Some(RtmError::RetriesExhausted { attempts: 1, .. }))
    ));

    // With two retries: the reconnect, then two retries, then give up.
    let (mut h, conn) = H::ready(
        Config::default().with_retry(
            RetryPolicy::default()
                .with_first_start(RetryLimit::Attempts(2))
                .with_reconnect(RetryLimit::Attempts(2)),
        ),
    );
    h.advance(secs(3600));
    let mut c = web_call(&h.input(closed(conn, 1006))).unwrap();
    let mut calls = 1;
    loop {
        let a = h.input(web_status(c, 503, None, ""));
        if disconnected(&a).is_some() {
            break;
        }
        c = web_call(&h.tick_deadline()).unwrap();
        calls += 1;
    }
    assert_eq!(calls, 3, "the reconnect and two retries");
}
