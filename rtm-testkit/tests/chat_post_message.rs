//! `chat.postMessage` over real HTTP: answers, delivery, rate limit, targeted faults, admin.

mod common;

use std::time::{Duration, Instant};

use common::*;
use rtm_testkit::{
    ChatConfig, MockSlack, RateLimit, ServerOptions, TokenKind, UserAction, WebFault,
};
use serde_json::{Value, json};
use tokio::net::TcpStream;

fn start() -> MockSlack {
    MockSlack::start(ServerOptions::default()).expect("start")
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A form post with the bot token.
async fn post_form(slack: &MockSlack, form: &str) -> HttpResponse {
    let token = slack.bot_token().expect("bot token");
    post(
        &slack.api_url(),
        "chat.postMessage",
        &[("Authorization", &bearer(&token))],
        form,
    )
    .await
}

/// A JSON post (`application/json`, as Slack's SDKs may send it).
async fn post_json(slack: &MockSlack, token: &str, body: &Value) -> HttpResponse {
    let (host, path) = host_and_path(&slack.api_url());
    let tcp = TcpStream::connect(&host).await.unwrap();
    raw_http(
        tcp,
        "POST",
        &host,
        &format!("{path}chat.postMessage"),
        &[
            ("Content-Type", "application/json; charset=utf-8"),
            ("Authorization", &bearer(token)),
        ],
        &body.to_string(),
    )
    .await
}

#[tokio::test]
async fn form_and_json_posts_are_answered_recorded_and_heard_on_rtm() {
    let slack = start();
    let mut ws = open_ready(&slack.api_url()).await;
    assert_eq!(slack.bot_token().as_deref(), Some(TOKEN));

    let r = post_form(&slack, "channel=C0GENERAL&text=Deploy+done").await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let v = r.json();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["channel"], "C0GENERAL");
    assert_eq!(v["message"]["user"], "U0BOT");
    assert_eq!(v["message"]["bot_id"], "B0BOT");
    let ts = v["ts"].as_str().unwrap().to_string();
    let ev = next_json(&mut ws).await;
    assert_eq!(ev["type"], "message");
    assert_eq!(ev["text"], "Deploy done");
    assert_eq!(ev["ts"], ts.as_str());
    assert_eq!(ev["bot_id"], "B0BOT");

    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "*done*"}}]);
    let r = post_json(
        &slack,
        TOKEN,
        &json!({"channel": "C0GENERAL", "text": "in thread", "thread_ts": ts, "blocks": blocks}),
    )
    .await;
    let v = r.json();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["message"]["thread_ts"], ts.as_str());
    assert_eq!(v["message"]["blocks"], blocks);
    let ts2 = v["ts"].as_str().unwrap().to_string();
    assert!(ts2 > ts, "{ts2} after {ts}");
    let ev = next_json(&mut ws).await;
    assert_eq!(ev["thread_ts"], ts.as_str());
    assert_eq!(ev["blocks"], blocks);

    let h = slack.history("C0GENERAL");
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].thread_ts.as_deref(), Some(ts.as_str()));
    let posts = slack.posts();
    assert_eq!(posts.len(), 2);
    assert!(
        posts
            .iter()
            .all(|p| p.posted() && p.token_kind == TokenKind::Bot)
    );
    assert_eq!(posts[1].text.as_deref(), Some("in thread"));

    let admin_history = admin(&slack.admin_url(), "GET", "history?channel=C0GENERAL", None).await;
    assert_eq!(admin_history["messages"][1]["thread_ts"], ts.as_str());
}

/// Headers, form body, expected error.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

#[tokio::test]
async fn errors_over_http_are_200_with_ok_false() {
    let slack = start();
    let api = slack.api_url();
    let form = "channel=C0GENERAL&text=hi";
    let cases: [Case<'_>; 4] = [
        (&[], form, "not_authed"),
        (
            &[("Authorization", "Bearer xoxb-wrong")],
            form,
            "invalid_auth",
        ),
        (
            &[("Authorization", "Bearer xapp-1-A0TESTAPP-1-mock-app-token")],
            form,
            "not_allowed_token_type",
        ),
        (
            &[("Authorization", "Bearer xoxb-test-token")],
            "channel=C0NOPE&text=hi",
            "channel_not_found",
        ),
    ];
    for (headers, body, error) in cases {
        let r = post(&api, "chat.postMessage", headers, body).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body, format!(r#"{{"ok":false,"error":"{error}"}}"#));
    }
    let r = post_json(
        &slack,
        TOKEN,
        &json!({"channel": "C0GENERAL", "blocks": "nope"}),
    )
    .await;
    assert_eq!(r.json()["error"], "invalid_blocks");
    let r = post_form(&slack, "channel=C0GENERAL").await;
    assert_eq!(r.json()["error"], "no_text");
    // The token in the form works too.
    let r = post(
        &api,
        "chat.postMessage",
        &[],
        &format!("token={TOKEN}&{form}"),
    )
    .await;
    assert_eq!(r.json()["ok"], true);
    assert_eq!(slack.posts().len(), 7);
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let chat = ChatConfig {
        rate_limit: Some(RateLimit {
            burst: 2,
            interval: Duration::from_secs(60),
        }),
    };
    let slack = MockSlack::start(ServerOptions::default().chat(chat)).expect("start");
    for _ in 0..2 {
        assert_eq!(
            post_form(&slack, "channel=C0GENERAL&text=x").await.status,
            200
        );
    }
    let r = post_form(&slack, "channel=C0GENERAL&text=x").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.body, r#"{"ok":false,"error":"ratelimited"}"#);
    let secs: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((59..=60).contains(&secs), "Retry-After {secs}");
    // Another channel is not throttled.
    assert_eq!(
        post_form(&slack, "channel=C0RANDOM&text=x").await.status,
        200
    );
    assert_eq!(slack.posts()[2].retry_after_secs, Some(secs));

    // Switched off from the admin interface.
    let v = admin(
        &slack.admin_url(),
        "POST",
        "chat/config",
        Some(json!({"rate_limit": null})),
    )
    .await;
    assert_eq!(v, json!({"ok": true, "config": {"rate_limit": null}}));
    for _ in 0..10 {
        assert_eq!(
            post_form(&slack, "channel=C0GENERAL&text=x").await.status,
            200
        );
    }
    let v = admin(
        &slack.admin_url(),
        "POST",
        "chat/config",
        Some(json!({"rate_limit": {"burst": 1}})),
    )
    .await;
    assert_eq!(
        v["config"]["rate_limit"],
        json!({"burst": 1, "interval_ms": 1000})
    );
    let v = admin(&slack.admin_url(), "GET", "chat/config", None).await;
    assert_eq!(v["config"]["rate_limit"]["burst"], 1);
    assert_eq!(slack.chat_config().rate_limit.unwrap().burst, 1);
}

#[tokio::test]
async fn faults_aimed_at_chat_post_message_from_rust_and_admin() {
    let slack = start();
    slack.set_chat_config(ChatConfig::unthrottled());
    let a = slack.admin_url();
    // The default aim (session-opening calls) leaves posts alone.
    slack.arm_web_fault(WebFault::Status { status: 503 }, 1);
    assert_eq!(
        post_form(&slack, "channel=C0GENERAL&text=x").await.status,
        200
    );
    assert_eq!(
        post(
            &slack.api_url(),
            "rtm.connect",
            &[("Authorization", &bearer(TOKEN))],
            ""
        )
        .await
        .status,
        503
    );

    let m = "chat.postMessage";
    for body in [
        json!({"fault": "rate_limited", "retry_after_secs": 2, "times": 2, "method": m}),
        json!({"fault": "status", "status": 500, "method": m}),
        json!({"fault": "error", "error": "internal_error", "method": m}),
        json!({"fault": "slow", "delay_ms": 300, "method": m}),
    ] {
        assert_eq!(admin(&a, "POST", "web_fault", Some(body)).await["ok"], true);
    }
    for _ in 0..2 {
        let r = post_form(&slack, "channel=C0GENERAL&text=x").await;
        assert_eq!((r.status, r.header("retry-after")), (429, Some("2")));
    }
    assert_eq!(
        post_form(&slack, "channel=C0GENERAL&text=x").await.status,
        500
    );
    assert_eq!(
        post_form(&slack, "channel=C0GENERAL&text=x").await.json()["error"],
        "internal_error"
    );
    let t = Instant::now();
    let r = post_form(&slack, "channel=C0GENERAL&text=slow").await;
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.json()["ok"], true);
    slack.arm_web_fault_for(m, WebFault::invalid_auth(), 1);
    assert_eq!(
        post_form(&slack, "channel=C0GENERAL&text=x").await.json()["error"],
        "invalid_auth"
    );
    assert_eq!(
        post_form(&slack, "channel=C0GENERAL&text=x").await.status,
        200
    );

    let v = admin(&a, "GET", "posts", None).await;
    let seen: Vec<(u64, Value)> = v["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["status"].as_u64().unwrap(), p["error"].clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (200, Value::Null),
            (429, json!("ratelimited")),
            (429, json!("ratelimited")),
            (500, Value::Null),
            (200, json!("internal_error")),
            (200, Value::Null),
            (200, json!("invalid_auth")),
            (200, Value::Null),
        ]
    );
    assert_eq!(v["posts"][1]["fault"]["fault"], "rate_limited");
    assert_eq!(v["posts"][0]["token_kind"], "bot");
    let texts: Vec<String> = slack
        .history("C0GENERAL")
        .into_iter()
        .map(|h| h.text)
        .collect();
    assert_eq!(texts, ["x", "slow", "x"]);
    let rec = admin(&a, "GET", "record", None).await;
    assert_eq!(rec["posts"].as_array().unwrap().len(), 8);
}

#[tokio::test]
async fn a_socket_mode_bot_replies_out_of_the_box_and_does_not_hear_itself() {
    let slack = start();
    let apps = admin(&slack.admin_url(), "GET", "apps", None).await;
    assert_eq!(apps["apps"][0]["bot_token"], TOKEN);
    let r = post(
        &slack.api_url(),
        "apps.connections.open",
        &[("Authorization", &bearer(&slack.app_token().unwrap()))],
        "",
    )
    .await;
    let url = r.json()["url"].as_str().unwrap().to_string();
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "hello");

    slack
        .act(UserAction::Message {
            user: "U0ALICE".into(),
            channel: "C0GENERAL".into(),
            text: "deploy?".into(),
        })
        .unwrap();
    let env = next_json(&mut ws).await;
    assert_eq!(env["type"], "events_api");
    send_json(&mut ws, json!({"envelope_id": env["envelope_id"]})).await;
    let event = &env["payload"]["event"];
    let r = post_json(
        &slack,
        &slack.bot_token().unwrap(),
        &json!({"channel": event["channel"], "text": "done", "thread_ts": event["ts"]}),
    )
    .await;
    assert_eq!(r.json()["ok"], true, "{}", r.body);
    // The app's socket stays quiet: no envelope for the bot's own post.
    let quiet = tokio::time::timeout(Duration::from_millis(300), next_json(&mut ws)).await;
    assert!(quiet.is_err(), "unexpected frame {quiet:?}");
    assert_eq!(slack.socket_mode_record().envelopes_sent.len(), 1);
    let h = slack.history("C0GENERAL");
    assert_eq!(
        h[1].thread_ts.as_ref(),
        event["ts"].as_str().map(str::to_string).as_ref()
    );
}
