//! The options of the `#[non_exhaustive]` configurations reach the core through their
//! chained `with_*` setters (struct literals do not compile outside rtm-proto).

use std::time::Duration;

use rtm_proto::{
    Backoff, Client, Config, Pacing, RetryLimit, RetryPolicy, SocketModeClient, SocketModeConfig,
    StartOptions, WebApiConfig,
};

#[test]
fn chained_setters_set_their_field_and_nothing_else() {
    let c = Config::default()
        .with_auto_reconnect(false)
        .with_seed(7)
        .with_pacing(Some(Pacing::default().with_per_second(2.0).with_burst(5)))
        .with_retry(RetryPolicy::default().with_first_start(RetryLimit::Attempts(1)))
        .with_web_api(
            WebApiConfig::default()
                .with_max_retries(0)
                .with_retry(Backoff::default().with_max_delay(Duration::from_secs(2))),
        );
    let mut expected = Config::default();
    expected.auto_reconnect = false;
    expected.seed = 7;
    let mut pacing = Pacing::default();
    pacing.per_second = 2.0;
    pacing.burst = 5;
    expected.pacing = Some(pacing);
    expected.retry.first_start = RetryLimit::Attempts(1);
    expected.web_api.max_retries = 0;
    expected.web_api.retry.max_delay = Duration::from_secs(2);
    assert_eq!(c, expected);
    assert!(Client::new(c).is_ok());

    let sm = SocketModeConfig::default()
        .with_auto_ack(true)
        .with_dedup_window(8);
    assert!(sm.auto_ack && sm.dedup_window == 8);
    assert!(SocketModeClient::new(sm).is_ok());

    let start = StartOptions::new("xoxb-1")
        .with_batch_presence_aware(Some(true))
        .with_presence_sub(Some(false));
    assert_eq!(start.batch_presence_aware, Some(true));
    assert_eq!(start.presence_sub, Some(false));
}

#[test]
fn setters_do_not_bypass_validation() {
    let bad = Config::default().with_pacing(Some(Pacing::default().with_burst(0)));
    assert!(Client::new(bad).is_err());
    let bad = SocketModeConfig::default().with_retry(RetryPolicy::default().with_factor(0.5));
    assert!(SocketModeClient::new(bad).is_err());
}
