//! The standalone `mock-slack` binary, driven end to end through its stdout, raw tungstenite
//! and the admin interface.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::*;
use serde_json::json;

/// Kills the child if a test fails half way.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[&str]) -> (Guard, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-slack"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn mock-slack");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a first line").unwrap();
    let api = first
        .strip_prefix("API_URL=")
        .expect("API_URL= first")
        .to_string();
    let admin = lines
        .next()
        .unwrap()
        .unwrap()
        .strip_prefix("ADMIN_URL=")
        .unwrap()
        .to_string();
    (Guard(child), api, admin)
}

#[tokio::test]
async fn binary_end_to_end_with_admin() {
    let (mut guard, api, admin_url) = spawn(&["--port", "0", "--token", "xoxb-test-token"]);
    assert!(
        api.starts_with("http://127.0.0.1:") && api.ends_with("/api/"),
        "{api}"
    );

    let mut ws = open_ready(&api).await;
    send_json(
        &mut ws,
        json!({"id": 1, "type": "message", "channel": "C0GENERAL", "text": "hi"}),
    )
    .await;
    assert_eq!(next_json(&mut ws).await["reply_to"], 1);

    // Admin: connections, push, act, fault, flood, history, record.
    let c = admin(&admin_url, "GET", "connections", None).await;
    assert_eq!(c["count"], 1);
    admin(
        &admin_url,
        "POST",
        "push",
        Some(json!({"event": {"type": "custom", "x": 1}})),
    )
    .await;
    assert_eq!(next_json(&mut ws).await, json!({"type": "custom", "x": 1}));
    let r = admin(&admin_url, "POST", "act", Some(json!({"action": "message", "user": "U0ALICE", "channel": "C0GENERAL", "text": "from alice"}))).await;
    assert_eq!(r["ok"], true);
    assert_eq!(next_json(&mut ws).await["text"], "from alice");
    let r = admin(
        &admin_url,
        "POST",
        "act",
        Some(json!({"action": "typing", "user": "U0NOBODY", "channel": "C0GENERAL"})),
    )
    .await;
    assert_eq!(r["ok"], false);
    admin(&admin_url, "POST", "script", Some(json!({"steps": [{"after_ms": 10, "action": "typing", "user": "U0BOB", "channel": "C0GENERAL"}]}))).await;
    assert_eq!(next_json(&mut ws).await["type"], "user_typing");
    assert_eq!(
        admin(&admin_url, "POST", "flood", Some(json!({"count": 500}))).await["connections"],
        1
    );
    for _ in 0..500 {
        assert_eq!(next_json(&mut ws).await["type"], "message");
    }
    let h = admin(&admin_url, "GET", "history?channel=C0GENERAL", None).await;
    assert_eq!(h["messages"].as_array().unwrap().len(), 2);
    admin(
        &admin_url,
        "POST",
        "fault",
        Some(json!({"fault": "goodbye", "target": {"conn": 1}})),
    )
    .await;
    assert_eq!(next_json(&mut ws).await, json!({"type": "goodbye"}));
    admin(
        &admin_url,
        "POST",
        "fault",
        Some(json!({"fault": "close", "code": 4002, "reason": "admin"})),
    )
    .await;
    assert_eq!(close_code(&mut ws).await, Some(4002));
    let r = admin(
        &admin_url,
        "POST",
        "web_fault",
        Some(json!({"fault": "rate_limited", "retry_after_secs": 9, "times": 1})),
    )
    .await;
    assert_eq!(r["ok"], true);
    let resp = post(&api, "rtm.connect", &[], &format!("token={TOKEN}")).await;
    assert_eq!((resp.status, resp.header("retry-after")), (429, Some("9")));
    let bad = admin(
        &admin_url,
        "POST",
        "fault",
        Some(json!({"fault": "no_such_fault"})),
    )
    .await;
    assert_eq!(bad["ok"], false);

    let rec = admin(&admin_url, "GET", "record", None).await;
    assert_eq!(rec["web_calls"].as_array().unwrap().len(), 2);
    let conn = &rec["connections"][0];
    assert_eq!(conn["flooded"], 500);
    assert_eq!(conn["server_close"]["code"], 4002);
    assert!(
        conn["from_client"][0]["text"]
            .as_str()
            .unwrap()
            .contains("\"hi\"")
    );

    assert_eq!(
        admin(&admin_url, "POST", "shutdown", None).await["ok"],
        true
    );
    let status = tokio::task::spawn_blocking(move || guard.0.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}

#[test]
fn binary_serves_tls_and_writes_its_cert() {
    let dir = std::env::temp_dir().join(format!("mock-slack-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem_path = dir.join("cert.pem");
    let (_guard, api, _) = spawn(&["--tls", "--cert-out", pem_path.to_str().unwrap()]);
    assert!(api.starts_with("https://127.0.0.1:"), "{api}");
    let pem = std::fs::read_to_string(&pem_path).unwrap();
    assert!(pem.contains("BEGIN CERTIFICATE"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn binary_serves_socket_mode_with_its_app_token() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-slack"))
        .args(["--app-token", "xapp-1-custom", "--ack-timeout-ms", "200"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn mock-slack");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let _guard = Guard(child);
    let mut field = |name: &str| {
        let line = lines.next().expect("a line").unwrap();
        line.strip_prefix(name)
            .unwrap_or_else(|| panic!("{name} expected, got {line}"))
            .to_string()
    };
    let api = field("API_URL=");
    let admin_url = field("ADMIN_URL=");
    assert_eq!(field("APP_TOKEN="), "xapp-1-custom");
    // The app made by --app-token has no bot token of its own: the workspace's is the bot's.
    assert_eq!(field("BOT_TOKEN="), "xoxb-test-token");

    let r = post(
        &api,
        "apps.connections.open",
        &[("Authorization", "Bearer xapp-1-custom")],
        "",
    )
    .await;
    let url = r.json()["url"].as_str().unwrap().to_string();
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "hello");
    let apps = admin(&admin_url, "GET", "apps", None).await;
    assert_eq!(apps["apps"][0]["token"], "xapp-1-custom");
    assert_eq!(apps["apps"][0]["open"], json!([1]));

    let r = admin(
        &admin_url,
        "POST",
        "envelope",
        Some(json!({"type": "shortcut_v2", "payload": {"callback_id": "x"}})),
    )
    .await;
    let id = r["envelope_id"].as_str().unwrap().to_string();
    let first = next_json(&mut ws).await;
    assert_eq!(
        (first["envelope_id"].as_str(), first["type"].as_str()),
        (Some(id.as_str()), Some("shortcut_v2"))
    );
    // Not acked: redelivered after the 200 ms of --ack-timeout-ms.
    let again = next_json(&mut ws).await;
    assert_eq!(again["retry_attempt"], 1);
    send_json(&mut ws, json!({"envelope_id": id})).await;
    admin(
        &admin_url,
        "POST",
        "fault",
        Some(json!({"fault": "link_disabled"})),
    )
    .await;
    // A further retry may have crossed the ack on a loaded machine: skip envelopes.
    let disconnect = loop {
        let v = next_json(&mut ws).await;
        if v.get("envelope_id").is_none() {
            break v;
        }
    };
    assert_eq!(disconnect["reason"], "link_disabled");
    let rec = admin(&admin_url, "GET", "socket_mode", None).await;
    assert!(rec["envelopes_sent"].as_array().unwrap().len() >= 2);
    assert_eq!(rec["acks"][0]["envelope_id"], id.as_str());
    assert_eq!(rec["apps"][0]["app_id"], "A0TESTAPP");
}

#[test]
fn version_names_the_binary_and_its_version() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mock-slack"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.trim(),
        format!("mock-slack {}", env!("CARGO_PKG_VERSION"))
    );
}

/// Waits (bounded) for the child to exit; returns how long it took and its status.
fn wait_exit(
    child: &mut Child,
    bound: std::time::Duration,
) -> (std::time::Duration, std::process::ExitStatus) {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (start.elapsed(), status);
        }
        assert!(
            start.elapsed() < bound,
            "mock-slack still running {bound:?} after shutdown"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// `POST /admin/shutdown` ends the process promptly, also with a client that holds its
/// WebSocket open without reading (it gets its 1001 close frame; nobody waits long for its
/// answer) and an idle HTTP connection open. The bound is generous; it normally takes a
/// few milliseconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_exits_promptly_with_clients_still_connected() {
    let (mut guard, api, admin_url) = spawn(&[]);
    let mut ws = open_ready(&api).await;
    let (host, path) = host_and_path(&admin_url);
    // An HTTP connection that never sends a request.
    let _idle = tokio::net::TcpStream::connect(&host).await.unwrap();
    let start = std::time::Instant::now();
    let tcp = tokio::net::TcpStream::connect(&host).await.unwrap();
    let r = raw_http(tcp, "POST", &host, &format!("{path}shutdown"), &[], "").await;
    assert_eq!(r.json()["ok"], true);
    let (took, status) = tokio::task::spawn_blocking(move || {
        let r = wait_exit(&mut guard.0, std::time::Duration::from_secs(1));
        drop(guard);
        r
    })
    .await
    .unwrap();
    eprintln!(
        "mock-slack exited {:?} after the shutdown request ({took:?} after the response)",
        start.elapsed()
    );
    assert!(status.success(), "{status}");
    // The client was told: a close frame with 1001 before the connection ended.
    assert_eq!(close_code(&mut ws).await, Some(1001));
}

/// `--host` is the address listened on, and the one in the URLs handed out (a wildcard bind
/// hands out loopback).
#[tokio::test]
async fn host_sets_the_listening_address() {
    let (_guard, api, admin_url) = spawn(&["--host", "127.0.0.2"]);
    assert!(api.starts_with("http://127.0.0.2:"), "{api}");
    assert!(admin_url.starts_with("http://127.0.0.2:"), "{admin_url}");
    let url = rtm_connect(&api).await;
    assert!(url.starts_with("ws://127.0.0.2:"), "{url}");
    let mut ws = open_ready(&api).await;
    send_json(&mut ws, json!({"id": 1, "type": "ping"})).await;
    assert_eq!(next_json(&mut ws).await["reply_to"], 1);

    let (_guard, api, _) = spawn(&["--host", "0.0.0.0"]);
    assert!(api.starts_with("http://127.0.0.1:"), "{api}");
    let port = api.trim_start_matches("http://127.0.0.1:");
    let port: u16 = port.trim_end_matches("/api/").parse().unwrap();
    // Listening on every address: reachable through another one than loopback's 127.0.0.1.
    let other = tokio::net::TcpStream::connect(("127.0.0.3", port)).await;
    assert!(other.is_ok(), "{other:?}");
    open_ready(&api).await;

    let bad = Command::new(env!("CARGO_BIN_EXE_mock-slack"))
        .args(["--host", "not-an-address"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "a bad address is a usage error");
}
