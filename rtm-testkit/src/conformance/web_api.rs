//! The Web API through the adapter, for both sessions: `chat.postMessage` answers the
//! message's `ts`, Slack's errors are typed, a 429 waits its `Retry-After`, a 5xx is
//! retried, calls work without a session, and posts to a channel keep their order.

use std::time::{Duration, Instant};

use rtm_driver::{ApiError, Backoff, ChatPostMessage, Error, WebApi, WebApiConfig};

use super::{CHANNEL, Ctx, Harness, WAIT, within};
use crate::model::{CHAT_POST_MESSAGE, ChatConfig, WebFault};

/// Fast retries, no pacing: the scenarios measure the server's answers, not the pacer.
fn fast_web_api() -> WebApiConfig {
    WebApiConfig::default()
        .with_retry(
            Backoff::default()
                .with_initial_delay(Duration::from_millis(50))
                .with_factor(2.0)
                .with_max_delay(Duration::from_millis(200)),
        )
        .with_pacing(None)
}

impl<H: Harness> Ctx<H> {
    /// The Web API of an RTM client (not started: the Web API needs no session) and of a
    /// Socket Mode client with the mock's bot token.
    fn web_apis(&self) -> ([WebApi; 2], impl Sized + use<H>) {
        let rtm = self.build(self.builder().web_api(fast_web_api()));
        let bot = self.slack.bot_token().expect("the mock has a bot token");
        let sm = self.build_socket_mode(
            self.socket_mode_builder()
                .bot_token(bot)
                .web_api(fast_web_api()),
        );
        // The clients are kept by the caller: their drivers serve the Web API.
        ([rtm.web_api(), sm.web_api()], (rtm, sm))
    }
}

/// `chat.postMessage` posts into the channel and answers its `ts`, with and without a
/// thread, from both kinds of client.
pub async fn web_api_chat_post_message_answers_ts<H: Harness>(t: Ctx<H>) {
    let (apis, _clients) = t.web_apis();
    for (i, api) in apis.iter().enumerate() {
        let text = format!("hello {i}");
        let posted = within(
            "chat_post_message",
            WAIT,
            api.chat_post_message(CHANNEL, &text),
        )
        .await
        .unwrap();
        assert_eq!(posted.channel, CHANNEL);
        let history = t.slack.history(CHANNEL);
        let entry = history
            .iter()
            .find(|h| h.ts == posted.ts)
            .expect("in history");
        assert_eq!(entry.text, text);
        let reply = ChatPostMessage::new(CHANNEL, "in thread").thread_ts(posted.ts.clone());
        let r = within("reply", WAIT, api.post_message(reply))
            .await
            .unwrap();
        assert_ne!(r.ts, posted.ts);
        let history = t.slack.history(CHANNEL);
        let entry = history.iter().find(|h| h.ts == r.ts).expect("in history");
        assert_eq!(entry.thread_ts.as_deref(), Some(posted.ts.as_str()));
    }
}

/// Slack's `ok: false` errors come typed, not retried.
pub async fn web_api_errors_are_typed<H: Harness>(t: Ctx<H>) {
    let ([api, _], _clients) = t.web_apis();
    let err = within("post", WAIT, api.chat_post_message("C0NOWHERE", "x"))
        .await
        .unwrap_err();
    match err {
        Error::Api(ApiError::Slack { ref error, .. }) => assert_eq!(error, "channel_not_found"),
        other => panic!("{other:?}"),
    }
    let long = "x".repeat(40_001);
    let err = within("post", WAIT, api.chat_post_message(CHANNEL, long))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Api(ApiError::Slack { ref error, .. }) if error == "msg_too_long"),
        "{err:?}"
    );
    assert_eq!(t.slack.posts().len(), 2, "each attempted once");
    // A generic call of a method the mock does not know is Slack's `unknown_method`, or an
    // HTTP error: typed either way, never a panic.
    let err = within("call", WAIT, api.call("no.such_method", [("a", "b")]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api(_)), "{err:?}");
    // Socket Mode without a bot token.
    let sm = t.build_socket_mode(t.socket_mode_builder());
    let err = within("post", WAIT, sm.chat_post_message(CHANNEL, "x"))
        .await
        .unwrap_err();
    assert_eq!(err, Error::NoBotToken);
}

/// A 429 waits its `Retry-After` (and only then posts, once); a 5xx is retried with backoff.
pub async fn web_api_429_and_5xx_are_retried<H: Harness>(t: Ctx<H>) {
    let (apis, _clients) = t.web_apis();
    for api in apis {
        let before = t.slack.posts().len();
        t.slack.arm_web_fault_for(
            CHAT_POST_MESSAGE,
            WebFault::RateLimited {
                retry_after_secs: 1,
            },
            1,
        );
        let started = Instant::now();
        let posted = within("post after 429", WAIT, api.chat_post_message(CHANNEL, "rl"))
            .await
            .unwrap();
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "waited Retry-After"
        );
        let posts = t.slack.posts();
        let attempts = &posts[before..];
        assert_eq!(attempts.len(), 2, "{attempts:?}");
        assert_eq!(attempts[0].status, 429);
        assert!(attempts[1].at - attempts[0].at >= Duration::from_millis(990));
        assert_eq!(attempts[1].ts.as_deref(), Some(posted.ts.as_str()));

        let before = posts.len();
        t.slack
            .arm_web_fault_for(CHAT_POST_MESSAGE, WebFault::Status { status: 503 }, 2);
        let posted = within(
            "post after 503s",
            WAIT,
            api.chat_post_message(CHANNEL, "5xx"),
        )
        .await
        .unwrap();
        let posts = t.slack.posts();
        let attempts = &posts[before..];
        assert_eq!(
            attempts.iter().map(|p| p.status).collect::<Vec<_>>(),
            [503, 503, 200]
        );
        assert_eq!(attempts.iter().filter(|p| p.posted()).count(), 1);
        assert_eq!(attempts[2].ts.as_deref(), Some(posted.ts.as_str()));

        // Retries run out: the last cause is kept.
        t.slack
            .arm_web_fault_for(CHAT_POST_MESSAGE, WebFault::Status { status: 500 }, 10);
        let err = within(
            "post through 500s",
            WAIT,
            api.chat_post_message(CHANNEL, "x"),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, Error::Api(ApiError::Http { status: 500, .. })),
            "{err:?}"
        );
        t.slack.inject(crate::model::Fault::Clear);
    }
}

/// Posts to one channel made at once go out in order, each once.
pub async fn web_api_posts_keep_their_order<H: Harness>(t: Ctx<H>) {
    let ([api, _], _clients) = t.web_apis();
    t.slack.set_chat_config(ChatConfig::unthrottled());
    let posts: Vec<_> = (0..8)
        .map(|i| api.chat_post_message(CHANNEL, format!("n{i}")))
        .collect();
    // A 429 in the middle holds the ones behind it.
    t.slack.arm_web_fault_for(
        CHAT_POST_MESSAGE,
        WebFault::RateLimited {
            retry_after_secs: 1,
        },
        1,
    );
    let answers = within("eight posts", WAIT, futures::future::join_all(posts)).await;
    let ts: Vec<String> = answers.into_iter().map(|a| a.unwrap().ts).collect();
    let history: Vec<String> = t
        .slack
        .history(CHANNEL)
        .into_iter()
        .filter(|h| h.text.starts_with('n'))
        .map(|h| h.text)
        .collect();
    assert_eq!(history, (0..8).map(|i| format!("n{i}")).collect::<Vec<_>>());
    let mut sorted = ts.clone();
    sorted.sort();
    assert_eq!(ts, sorted, "answers in posting order");
}
