//! End-to-end scenarios on virtual time: the core (`rtm-proto`) against the Slack model,
//! joined by `rtm_testkit::sim::Sim`. Each reads as a story; none touches a clock or a socket.

use std::time::Duration;

use rtm_proto::{Action, Config, ConnId, Connected, Event, Input, RtmError, Sent, State};
use rtm_testkit::sim::Sim;
use rtm_testkit::{Fault, WebFault, Workspace};

const READY: State = State::Connected(Connected::Ready);
const LIMIT: Duration = Duration::from_secs(600);

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn sim() -> Sim {
    Sim::new(Config::default(), Workspace::default())
}

/// A started client with a ready session.
fn ready_sim() -> Sim {
    let mut s = sim();
    s.start();
    assert!(
        s.run_until(|s| s.state() == READY, secs(5)),
        "{:?}",
        s.state()
    );
    s
}

fn is_ready(s: &Sim) -> bool {
    s.state() == READY
}

/// Virtual times of the events matching `pred`.
fn event_times(s: &Sim, pred: impl Fn(&Event) -> bool) -> Vec<Duration> {
    s.events()
        .filter(|(_, e)| pred(e))
        .map(|(at, _)| at)
        .collect()
}

#[test]
fn start_ready_then_a_message_is_acked_with_the_models_ts() {
    let mut s = sim();
    s.start();
    assert!(s.run_until(is_ready, secs(5)));
    // Web call and socket open each take a round trip of the default 10 ms latency.
    assert_eq!(s.elapsed(), Duration::from_millis(40));
    let starts = s.start_results();
    assert_eq!(starts.len(), 1);
    let info = starts[0].1.as_ref().expect("start succeeded");
    assert_eq!(info.self_id, "U0BOT");
    assert_eq!(s.client().active_team_id(), Some("T0TESTTEAM"));

    let h = s.send_message("hello <world>", "C0GENERAL");
    assert!(s.run_until(|s| s.settled(h).is_some(), secs(5)));
    let Some(Ok(Sent::Replied(reply))) = s.settled(h) else {
        panic!("{:?}", s.settled(h));
    };
    let posted = &s.model().history("C0GENERAL")[0];
    assert_eq!(reply.ts.as_deref(), Some(posted.ts.as_str()));
    // Slack escapes what it stores, and the ack says so.
    assert_eq!(reply.text.as_deref(), Some("hello &lt;world&gt;"));
    assert_eq!(posted.text, "hello &lt;world&gt;");
    assert_eq!(s.settles(h).len(), 1);
}

#[test]
fn goodbye_reconnects_with_a_fresh_web_call_and_is_ready_again() {
    let mut s = ready_sim();
    s.run_for(secs(1));
    s.inject(Fault::goodbye());
    assert!(s.run_until(
        |s| s.record().connections.len() == 2 && is_ready(s),
        secs(5)
    ));
    let reasons: Vec<_> = s
        .events()
        .filter_map(|(_, e)| match e {
            Event::Reconnecting { reason, delay, .. } => Some((reason.clone(), *delay)),
            _ => None,
        })
        .collect();
    // A session that lived a while reconnects at once.
    assert_eq!(reasons, vec![(RtmError::Goodbye, Duration::ZERO)]);
    assert_eq!(s.record().web_calls.len(), 2);
    // The old socket was let go of: the model saw it end.
    assert!(!s.record().connections[0].is_open());
    assert_eq!(s.record().active_connections(), 1);
    // A message still goes through on the new connection.
    let h = s.send_message("still here", "C0RANDOM");
    assert!(s.run_until(|s| s.settled(h).is_some(), secs(5)));
    assert!(matches!(s.settled(h), Some(Ok(Sent::Replied(_)))));
}

#[test]
fn rate_limited_web_call_is_retried_no_earlier_than_retry_after() {
    let mut s = sim();
    s.arm_web_fault(
        WebFault::RateLimited {
            retry_after_secs: 30,
        },
        1,
    );
    s.start();
    assert!(s.run_until(is_ready, LIMIT));
    let calls = &s.record().web_calls;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].status, 429);
    let gap = calls[1].at - calls[0].at;
    assert!(gap >= secs(30), "retried after {gap:?}");
    // The wait is Retry-After (the backoff's first delay is shorter), not more.
    assert!(gap <= secs(30) + Duration::from_millis(100), "{gap:?}");
    assert!(matches!(
        s.events().find_map(|(_, e)| match e {
            Event::Reconnecting { reason, delay, .. } => Some((reason.clone(), *delay)),
            _ => None,
        }),
        Some((RtmError::RateLimited { retry_after: Some(ra) }, d)) if ra == secs(30) && d == secs(30)
    ));
    assert!(s.start_results()[0].1.is_ok());
}

#[test]
fn a_missed_pong_leads_to_a_reconnect() {
    let config = Config::default();
    let mut s = ready_sim();
    let ready_at = s.elapsed();
    s.inject(Fault::StopPongs);
    assert!(s.run_until(
        |s| !event_times(s, |e| matches!(e, Event::Reconnecting { .. })).is_empty(),
        secs(60)
    ));
    let lost_at = s.elapsed();
    // A ping after the quiet period, then the pong deadline.
    let expected = ready_at + config.client_ping_timeout + config.server_pong_timeout;
    assert!(
        lost_at >= expected && lost_at <= expected + Duration::from_millis(50),
        "lost at {lost_at:?}, expected about {expected:?}"
    );
    assert!(matches!(
        s.events().find_map(|(_, e)| match e {
            Event::Reconnecting { reason, .. } => Some(reason.clone()),
            _ => None,
        }),
        Some(RtmError::PongTimeout)
    ));
    let first = &s.record().connections[0];
    let pings: Vec<_> = first
        .from_client_json()
        .into_iter()
        .filter(|v| v["type"] == "ping")
        .collect();
    assert_eq!(pings.len(), 1);
    assert!(first.to_client_of_type("pong").is_empty());

    s.inject(Fault::ResumePongs);
    assert!(s.run_until(
        |s| s.record().connections.len() == 2 && is_ready(s),
        secs(60)
    ));
    // The new connection's pings are answered: no further reconnect for a while.
    s.run_for(secs(60));
    assert_eq!(s.record().connections.len(), 2);
    assert!(
        !s.record().connections[1]
            .to_client_of_type("pong")
            .is_empty()
    );
}

#[test]
fn a_replayed_ack_after_reconnect_settles_the_pending_send_while_resuming() {
    let config = Config::default();
    let mut s = ready_sim();
    // Held acks go out once `count` are gathered: with two, the only one stays held.
    s.inject(Fault::HoldAcks { count: 2 });
    let h = s.send_message("are you there?", "C0GENERAL");
    s.run_for(Duration::from_millis(100));
    assert!(s.settled(h).is_none(), "the ack is held");
    // The next connection replays the last ack; this one says goodbye, then the held ack is
    // released on it: it arrives after the goodbye, when the client has let the socket go.
    s.inject(Fault::ReplayLastAck);
    s.inject(Fault::goodbye());
    s.inject(Fault::ReleaseAcks);
    assert!(s.run_until(|s| s.settled(h).is_some(), secs(5)));

    let Some(Ok(Sent::Replied(reply))) = s.settled(h) else {
        panic!("{:?}", s.settled(h));
    };
    assert_eq!(
        reply.ts.as_deref(),
        Some(s.model().history("C0GENERAL")[0].ts.as_str())
    );
    // The ack reached the client on the second connection only, right after its hello.
    let second = &s.record().connections[1];
    let to_client = second.to_client_json();
    assert_eq!(to_client[0]["type"], "hello");
    assert_eq!(to_client[1]["reply_to"], reply.id);
    // It was settled by the frame from the second attempt, while resuming: the same step
    // ends the resume phase.
    let step = s
        .log()
        .iter()
        .find(|st| {
            st.actions
                .iter()
                .any(|a| matches!(a, Action::Settle { handle, .. } if *handle == h))
        })
        .expect("the settle's step");
    assert!(matches!(
        step.input,
        Input::WsText {
            conn: ConnId(2),
            ..
        }
    ));
    let settle = step
        .actions
        .iter()
        .position(|a| matches!(a, Action::Settle { .. }))
        .unwrap();
    let ready = step
        .actions
        .iter()
        .position(|a| matches!(a, Action::Emit(Event::Ready)))
        .expect("ready in the same step");
    assert!(settle < ready);
    // Ready came with the ack, not after the resume window.
    let connected = event_times(&s, |e| matches!(e, Event::Connected));
    let readies = event_times(&s, |e| matches!(e, Event::Ready));
    assert_eq!(connected.len(), 2);
    assert_eq!(readies.len(), 2);
    assert!(readies[1] - connected[1] < config.reply_ack_on_reconnect_timeout);
    assert_eq!(s.state(), READY);
}

#[test]
fn invalid_auth_fails_start_and_is_not_retried() {
    let mut s = sim();
    s.arm_web_fault(WebFault::invalid_auth(), 1);
    s.start();
    s.run_for(secs(3600));
    assert_eq!(s.record().web_calls.len(), 1);
    let starts = s.start_results();
    assert_eq!(starts.len(), 1);
    assert_eq!(
        starts[0].1.as_ref().err(),
        Some(&RtmError::Platform {
            error: "invalid_auth".into()
        })
    );
    assert_eq!(s.state(), State::Disconnected);
    assert!(
        event_times(&s, |e| matches!(e, Event::UnableToRtmStart(_))).len() == 1,
        "unable_to_rtm_start once"
    );
    assert!(event_times(&s, |e| matches!(e, Event::Reconnecting { .. })).is_empty());
}

#[test]
fn a_wrong_token_fails_start_the_same_way() {
    let mut s = Sim::new(
        Config::default(),
        Workspace::default().with_tokens(["xoxb-other"]),
    );
    s.start_with(rtm_proto::StartOptions::new("xoxb-wrong"));
    s.run_for(secs(60));
    assert_eq!(s.record().web_calls.len(), 1);
    assert!(matches!(
        s.start_results()[0].1,
        Err(RtmError::Platform { error }) if error == "invalid_auth"
    ));
}

#[test]
fn the_same_commands_give_the_same_log() {
    let run = || {
        let mut s = ready_sim();
        s.inject(Fault::SlowReplies {
            delay: Duration::from_millis(700),
        });
        for i in 0..5 {
            s.send_message(&format!("m{i}"), "C0GENERAL");
        }
        s.inject(Fault::DropTcp);
        s.run_for(secs(120));
        s.shutdown();
        s.log().to_vec()
    };
    assert_eq!(run(), run());
}

#[test]
fn a_socket_url_used_after_its_30_s_is_refused_and_the_client_retries() {
    // A web call timeout longer than the URL's life lets a slow answer hand out a URL that
    // is stale by the time the socket opens.
    let config = Config::default().with_web_call_timeout(secs(45));
    let mut s = Sim::new(config, Workspace::default());
    s.arm_web_fault(WebFault::Slow { delay: secs(31) }, 1);
    s.start();
    assert!(s.run_until(is_ready, LIMIT));
    let refused = s.events().find_map(|(_, e)| match e {
        Event::Reconnecting {
            reason: RtmError::Websocket { error },
            ..
        } => Some(error.message().to_owned()),
        _ => None,
    });
    assert!(
        refused.as_deref().is_some_and(|m| m.contains("410")),
        "{refused:?}"
    );
    assert_eq!(s.record().web_calls.len(), 2);
    // Only the second URL became a connection.
    assert_eq!(s.record().connections.len(), 1);
}

#[test]
fn a_late_answer_to_an_abandoned_web_call_is_ignored() {
    let config = Config::default().with_web_call_timeout(secs(10));
    let mut s = Sim::new(config, Workspace::default());
    s.arm_web_fault(WebFault::Slow { delay: secs(15) }, 1);
    s.start();
    assert!(s.run_until(is_ready, LIMIT));
    assert!(matches!(
        s.events().find_map(|(_, e)| match e {
            Event::Reconnecting { reason, .. } => Some(reason.clone()),
            _ => None,
        }),
        Some(RtmError::WebCallTimeout)
    ));
    // The slow answer still arrives, for attempt 1, and changes nothing.
    s.run_for(secs(10));
    let late = s
        .log()
        .iter()
        .find(|st| {
            matches!(
                st.input,
                Input::WebApiResult {
                    conn: ConnId(1),
                    ..
                }
            )
        })
        .expect("the late answer was delivered");
    assert!(matches!(
        late.actions[..],
        [Action::Ignored {
            input: "web_api_result",
            ..
        }]
    ));
    assert_eq!(s.state(), READY);
    assert_eq!(s.record().connections.len(), 1);
}

/// The example of rtm-testkit/README.md, kept compiling and true.
#[test]
fn readme_example() {
    use rtm_proto::{Config, Sent};
    use rtm_testkit::{Fault, Workspace, sim::Sim};
    use std::time::Duration;

    let mut sim = Sim::new(Config::default(), Workspace::default());
    sim.start();
    assert!(sim.run_until(|s| s.client().is_connected(), Duration::from_secs(5)));
    let h = sim.send_message("hello", "C0GENERAL");
    assert!(sim.run_until(|s| s.settled(h).is_some(), Duration::from_secs(5)));
    assert!(matches!(sim.settles(h)[..], [(_, Ok(Sent::Replied(_)))]));
    sim.inject(Fault::goodbye());
    sim.run_for(Duration::from_secs(5));
    assert_eq!(sim.record().connections.len(), 2);
    assert!(sim.client().is_connected());
}
