//! The conformance suite: the scenarios every adapter must pass, written once against
//! `rtm-driver`'s public API and run by each adapter's tests against the real loopback
//! [`MockSlack`], plain and TLS.
//!
//! An adapter implements [`Harness`] (how to build a client on it, how to run a future on its
//! runtime) and expands [`conformance_tests!`](crate::conformance_tests) once per transport:
//!
//! ```ignore
//! struct Tokio(tokio::runtime::Runtime);
//! impl rtm_testkit::conformance::Harness for Tokio { /* build, block_on */ }
//! rtm_testkit::conformance_tests!(mod plain, harness = Tokio::new(), tls = false);
//! rtm_testkit::conformance_tests!(mod tls, harness = Tokio::new(), tls = true);
//! ```
//!
//! Each scenario becomes its own `#[test]`, starts its own mock, builds a client with short
//! timeouts, and asserts both on what the client reports and on what the mock recorded on the
//! wire. Every wait is bounded ([`within`], [`MockSlack::wait_until`]); where time must pass
//! (pacing, `Retry-After`, resume windows) the scenario measures it and checks bounds.

mod delivery;
mod disconnect;
mod errors;
mod frames;
mod proxy;
mod reconnect;
mod resume;
mod sending;
mod session;
mod socket_mode;
mod timer;
mod web_api;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use rtm_driver::{
    ClientBuilder, Events, RetryLimit, RetryPolicy, RtmClient, SharedEvent, SocketModeBuilder,
    SocketModeClient, Status,
};
use serde_json::Value;

pub use timer::{finishes_within, sleep, within};

use crate::model::{ConnRecord, DEFAULT_TOKEN, Record};
use crate::server::{MockSlack, ServerOptions};

/// What an adapter supplies to run the suite.
pub trait Harness: Send + Sync + 'static {
    /// Builds a client on this adapter from a builder already pointed at the mock (API URL,
    /// token, short timeouts, the mock's root certificate for TLS). Called from inside
    /// [`Harness::block_on`].
    fn build(&self, builder: ClientBuilder) -> Result<RtmClient, rtm_driver::Error>;

    /// Builds a Socket Mode client on this adapter, likewise.
    fn build_socket_mode(
        &self,
        builder: SocketModeBuilder,
    ) -> Result<SocketModeClient, rtm_driver::Error>;

    /// Runs a future to completion on this adapter's runtime.
    fn block_on<F: Future<Output = ()> + Send + 'static>(&self, f: F);
}

/// The bound of every wait for something that should happen: generous, as it is only
/// reached when something is broken.
pub const WAIT: Duration = Duration::from_secs(10);
/// The workspace's bot token.
pub const TOKEN: &str = DEFAULT_TOKEN;
/// The channel messages go to.
pub const CHANNEL: &str = "C0GENERAL";
/// Another channel (pacing is per channel).
pub const OTHER_CHANNEL: &str = "C0RANDOM";
/// The bot's user id (`self.id`).
pub const BOT: &str = "U0BOT";
/// The team id (`team.id`).
pub const TEAM: &str = "T0TESTTEAM";

/// One scenario's world: its own mock Slack, and the adapter under test.
pub struct Ctx<H> {
    /// The mock Slack (plain or TLS per the run).
    pub slack: MockSlack,
    /// Whether the mock serves https/wss.
    pub tls: bool,
    harness: Arc<H>,
}

impl<H> std::fmt::Debug for Ctx<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("slack", &self.slack.addr())
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl<H: Harness> Ctx<H> {
    /// The suite's client options: pointed at the mock (trusting its certificate), pacing
    /// off, fast retries, and keepalive and handshake deadlines short enough for a fast
    /// suite yet long enough not to fire on a loaded machine unless a scenario wants them to.
    pub fn builder(&self) -> ClientBuilder {
        let mut b = ClientBuilder::new(TOKEN)
            .api_url(self.slack.api_url())
            .pacing(None)
            .seed(7)
            .client_ping_timeout(Duration::from_millis(1500))
            .server_pong_timeout(Duration::from_millis(1000))
            .hello_timeout(Duration::from_millis(1500))
            .web_call_timeout(Duration::from_secs(3))
            .close_timeout(Duration::from_millis(500))
            .reply_ack_on_reconnect_timeout(Duration::from_secs(1))
            .reply_timeout(Some(Duration::from_secs(5)))
            .retry(fast_retry(5));
        if let Some(cert) = self.slack.tls_cert() {
            b = b.add_root_certificate(cert.der().to_vec());
        }
        b
    }

    /// Builds a client on the adapter.
    pub fn build(&self, builder: ClientBuilder) -> RtmClient {
        self.harness
            .build(builder)
            .unwrap_or_else(|e| panic!("the adapter builds a client: {e}"))
    }

    /// Builds a client on the adapter, or says why it cannot.
    pub fn try_build(&self, builder: ClientBuilder) -> Result<RtmClient, rtm_driver::Error> {
        self.harness.build(builder)
    }

    /// A client with the suite's options.
    pub fn client(&self) -> RtmClient {
        self.build(self.builder())
    }

    /// A client with the suite's options, started (ready).
    pub async fn started(&self) -> RtmClient {
        self.start(self.client()).await
    }

    /// Starts `client` and checks that it is ready.
    pub async fn start(&self, client: RtmClient) -> RtmClient {
        within("start()", WAIT, client.start())
            .await
            .unwrap_or_else(|e| panic!("start() fails: {e}"));
        assert!(client.status().ready(), "ready once start() completes");
        client
    }

    /// Waits until the mock's record satisfies `pred`.
    pub async fn wire(&self, what: &str, pred: impl FnMut(&Record) -> bool + Send) {
        if let Err(e) = self.slack.wait_until(WAIT, pred).await {
            panic!(
                "on the wire: {what}: {e}; record: {:#?}",
                summary(&self.slack.record())
            );
        }
    }

    /// The record of the connection opened `n`-th (1-based).
    pub fn conn(&self, n: usize) -> ConnRecord {
        let record = self.slack.record();
        record
            .connections
            .get(n - 1)
            .cloned()
            .unwrap_or_else(|| panic!("connection #{n} was never opened: {:#?}", summary(&record)))
    }
}

/// Fast retries: `max` attempts after the first, 30 ms growing to 200 ms.
pub fn fast_retry(max: u32) -> RetryPolicy {
    RetryPolicy::default()
        .with_first_start(RetryLimit::Attempts(max))
        .with_reconnect(RetryLimit::Attempts(max))
        .with_initial_delay(Duration::from_millis(30))
        .with_factor(2.0)
        .with_max_delay(Duration::from_millis(200))
}

/// Waits until the client's status satisfies `pred`.
pub async fn status(
    client: &RtmClient,
    what: &str,
    pred: impl FnMut(&Status) -> bool + Send + 'static,
) -> Status {
    within(what, WAIT, client.wait_for(pred))
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// The next event of the subscription.
pub async fn next_event(events: &mut Events, what: &str) -> SharedEvent {
    match within(what, WAIT, events.next()).await {
        Some(Ok(e)) => e,
        Some(Err(lagged)) => panic!("{what}: {lagged}"),
        None => panic!("{what}: the event stream ended"),
    }
}

/// Skips events until one named `name` (lifecycle name or Slack type); returns it and the
/// names of those skipped.
pub async fn event_named(events: &mut Events, name: &str) -> (SharedEvent, Vec<String>) {
    let mut skipped = Vec::new();
    loop {
        let e = next_event(events, &format!("event {name:?} (after {skipped:?})")).await;
        if e.name() == name {
            return (e, skipped);
        }
        skipped.push(e.name().to_owned());
    }
}

/// The JSON frames of type `ty` the client sent on a connection.
pub fn client_frames(conn: &ConnRecord, ty: &str) -> Vec<Value> {
    conn.from_client_json()
        .into_iter()
        .filter(|f| f["type"] == ty)
        .collect()
}

/// Whether the client sent a `message` with this text on the connection.
pub fn sent_text(conn: &ConnRecord, text: &str) -> bool {
    client_frames(conn, "message")
        .iter()
        .any(|f| f["text"] == text)
}

/// A compact view of a record for failure messages.
pub fn summary(record: &Record) -> Value {
    let conns: Vec<Value> = record
        .connections
        .iter()
        .map(|c| {
            serde_json::json!({
                "conn": c.conn.0,
                "open": c.is_open(),
                "from_client": c.from_client.iter().map(|r| r.frame.text().unwrap_or("<binary>").chars().take(200).collect::<String>()).collect::<Vec<_>>(),
                "to_client": c.to_client.iter().map(|r| r.frame.text().unwrap_or("<binary>").chars().take(200).collect::<String>()).collect::<Vec<_>>(),
                "server_close": c.server_close,
                "dropped": c.dropped,
            })
        })
        .collect();
    let calls: Vec<Value> = record
        .web_calls
        .iter()
        .map(|w| serde_json::json!({"method": w.api_method, "status": w.status, "fault": format!("{:?}", w.fault)}))
        .collect();
    serde_json::json!({"web_calls": calls, "connections": conns})
}

/// Runs one scenario: a fresh mock (TLS or not), then the scenario on the adapter's runtime.
pub fn run<H, F, Fut>(harness: H, tls: bool, scenario: F)
where
    H: Harness,
    F: FnOnce(Ctx<H>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let slack = MockSlack::start(ServerOptions::default().tls(tls)).expect("the mock starts");
    let harness = Arc::new(harness);
    let ctx = Ctx {
        slack,
        tls,
        harness: harness.clone(),
    };
    harness.block_on(scenario(ctx));
}

/// Calls `$m!` with the names of every scenario (one list for the test macro and [`SCENARIOS`]).
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_scenarios {
    ($m:ident; $($args:tt)*) => {
        $crate::$m! { ($($args)*)
            // session
            connect_and_ready,
            start_via_rtm_start,
            start_options_reach_the_web_call,
            tls_is_verified,
            incoming_events_pass_through,
            insecure_api_url_is_refused_unless_loopback_or_opted_in,
            insecure_socket_url_is_refused,
            dropping_the_client_settles_everything,
            untrusted_socket_certificate_fails_at_once,
            web_call_redirect_is_an_error_not_followed,
            socket_url_table_from_the_server,
            api_url_table,
            // through a proxy
            session_goes_through_the_proxy,
            proxy_credentials_reach_the_proxy_only,
            bad_proxy_url_is_a_build_error,
            // sending
            send_message_is_acked,
            platform_error_settles_the_send,
            slow_down_reply_is_a_platform_error,
            pipelined_sends_acked_out_of_order,
            typing_and_presence_sub_on_the_wire,
            oversized_frames_are_refused_locally,
            pacing_spaces_messages_per_channel,
            ids_never_repeat_across_reconnects,
            reply_timeout_settles_the_send,
            // reconnecting
            reconnect_after_close,
            reconnect_after_tcp_drop,
            reconnect_after_goodbye,
            reconnect_after_team_migration,
            reconnect_after_missed_pong,
            keepalive_pings_when_quiet,
            no_hello_times_out_and_retries,
            expired_socket_url_retries,
            retry_after_429_honours_retry_after,
            retry_after_5xx_and_bad_answers,
            web_call_timeout_retries,
            invalid_auth_fails_start,
            retries_exhausted_fails_start,
            queued_sends_flushed_after_reconnect,
            queued_sends_wait_for_the_next_start,
            // resuming
            resume_ends_with_the_ack_on_the_new_connection,
            resume_ignores_a_replayed_ack_and_times_out,
            // disconnect in every state
            disconnect_while_authenticating,
            disconnect_while_handshaking,
            disconnect_while_ready,
            disconnect_while_reconnecting,
            disconnect_while_resuming,
            disconnect_twice_and_before_start,
            // frames
            malformed_and_binary_frames_survive,
            // delivery
            a_slow_lossless_subscriber_gets_every_event,
            // Socket Mode
            socket_mode_connects,
            socket_mode_envelopes_of_each_type_and_acks,
            socket_mode_filters_envelopes,
            socket_mode_auto_ack,
            socket_mode_redelivery_is_filtered,
            socket_mode_refresh_on_warning_loses_nothing,
            socket_mode_refresh_requested_loses_nothing,
            socket_mode_link_disabled_ends_the_session,
            socket_mode_reconnects_after_close,
            socket_mode_reconnects_after_tcp_drop,
            socket_mode_reconnects_after_half_open,
            socket_mode_disconnect_in_every_state,
            // the Web API, for both sessions
            web_api_chat_post_message_answers_ts,
            web_api_errors_are_typed,
            web_api_429_and_5xx_are_retried,
            web_api_posts_keep_their_order,
            // transport errors keep their cause
            a_failed_start_leads_to_the_refused_connection,
            a_failed_socket_mode_start_leads_to_the_refused_connection,
            a_failed_web_api_call_leads_to_the_refused_connection,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_names {
    (() $($name:ident),* $(,)?) => {
        &[$(stringify!($name)),*]
    };
}

/// The names of every scenario, in the order of the suite.
pub const SCENARIOS: &[&str] = crate::__conformance_scenarios!(__conformance_names;);

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_test_fns {
    (($h:expr, $tls:expr) $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::conformance::run($h, $tls, $crate::conformance::scenarios::$name);
            }
        )*
    };
}

/// Expands to one `#[test]` per conformance scenario for a [`Harness`].
///
/// `conformance_tests!(mod plain, harness = MyHarness::new(), tls = false)` puts them in a
/// module (with `use super::*;`), so a crate can expand it once plain and once TLS;
/// without `mod name,` they are expanded in place. The harness expression is evaluated once
/// per test.
#[macro_export]
macro_rules! conformance_tests {
    (mod $module:ident, harness = $h:expr, tls = $tls:expr $(,)?) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $crate::conformance_tests!(harness = $h, tls = $tls);
        }
    };
    (harness = $h:expr, tls = $tls:expr $(,)?) => {
        $crate::__conformance_scenarios!(__conformance_test_fns; $h, $tls);
    };
}

/// Every scenario, by name: `async fn(Ctx<H>)`.
pub mod scenarios {
    pub use super::delivery::*;
    pub use super::disconnect::*;
    pub use super::errors::*;
    pub use super::frames::*;
    pub use super::proxy::*;
    pub use super::reconnect::*;
    pub use super::resume::*;
    pub use super::sending::*;
    pub use super::session::*;
    pub use super::socket_mode::*;
    pub use super::web_api::*;
}
