//! https/wss with the generated certificate, trusted by a plain rustls client.

mod common;

use std::sync::Arc;

use common::*;
use rtm_testkit::{MockSlack, ServerOptions};
use serde_json::json;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::Connector;

#[tokio::test]
async fn tls_session_with_trusted_self_signed_cert() {
    let slack = MockSlack::start(ServerOptions::default().tls(true)).unwrap();
    let api = slack.api_url();
    assert!(api.starts_with("https://127.0.0.1:"), "{api}");
    let cert = slack.tls_cert().expect("cert");
    assert!(cert.pem().starts_with("-----BEGIN CERTIFICATE-----"));
    let config = rustls_client(cert.der());

    // rtm.connect over TLS, checked against the name `localhost` and the IP.
    let (host, path) = host_and_path(&api);
    for name in ["localhost", "127.0.0.1"] {
        let tcp = tokio::net::TcpStream::connect(&host).await.unwrap();
        let server_name = rustls::pki_types::ServerName::try_from(name.to_string()).unwrap();
        let tls = TlsConnector::from(config.clone())
            .connect(server_name, tcp)
            .await
            .unwrap();
        let body = format!("token={TOKEN}");
        let r = raw_http(
            tls,
            "POST",
            &host,
            &format!("{path}rtm.connect"),
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &body,
        )
        .await;
        let v = r.json();
        assert_eq!(v["ok"], true);
        let url = v["url"].as_str().unwrap().to_string();
        assert!(url.starts_with("wss://127.0.0.1:"), "{url}");

        let (mut ws, _) = tokio_tungstenite::connect_async_tls_with_config(
            &url,
            None,
            false,
            Some(Connector::Rustls(Arc::clone(&config))),
        )
        .await
        .unwrap();
        assert_eq!(next_json(&mut ws).await, json!({"type": "hello"}));
        send_json(
            &mut ws,
            json!({"id": 1, "type": "message", "channel": "C0GENERAL", "text": "secure"}),
        )
        .await;
        assert_eq!(next_json(&mut ws).await["ok"], true);
        slack.flood(1000);
        for _ in 0..1000 {
            assert_eq!(next_json(&mut ws).await["type"], "message");
        }
    }

    // A client that does not trust the certificate is refused.
    let tcp = tokio::net::TcpStream::connect(&host).await.unwrap();
    let untrusting = rustls_client(
        rcgen::generate_simple_self_signed(vec!["localhost".into()])
            .unwrap()
            .cert
            .der(),
    );
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    assert!(
        TlsConnector::from(untrusting)
            .connect(name, tcp)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn socket_mode_over_tls() {
    let slack = MockSlack::start(ServerOptions::default().tls(true)).unwrap();
    let config = rustls_client(slack.tls_cert().expect("cert").der());
    let (host, path) = host_and_path(&slack.api_url());
    let tcp = tokio::net::TcpStream::connect(&host).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = TlsConnector::from(config.clone())
        .connect(name, tcp)
        .await
        .unwrap();
    let bearer = format!("Bearer {}", slack.app_token().unwrap());
    let r = raw_http(
        tls,
        "POST",
        &host,
        &format!("{path}apps.connections.open"),
        &[("Authorization", &bearer)],
        "",
    )
    .await;
    let url = r.json()["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("wss://127.0.0.1:"), "{url}");
    assert!(url.contains("/link/?ticket="), "{url}");
    let (mut ws, _) = tokio_tungstenite::connect_async_tls_with_config(
        &url,
        None,
        false,
        Some(Connector::Rustls(config)),
    )
    .await
    .unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "hello");
    let id = slack
        .post_slash_command(&rtm_testkit::SlashCommand::new(
            "/secure",
            "",
            "U0ALICE",
            "C0GENERAL",
        ))
        .unwrap();
    assert_eq!(next_json(&mut ws).await["envelope_id"], id.as_str());
}
