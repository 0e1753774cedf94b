//! The default build trusts the operating system's store, read with rustls-native-certs,
//! which honours `SSL_CERT_FILE`: a root "installed on the machine" (here: the mock's
//! certificate as the whole store) is trusted by the web call and the WebSocket without
//! `add_root_certificate`. The environment is set for a child process (this test binary,
//! re-run on one ignored test), as a process cannot safely change its own environment.

use std::process::Command;
use std::time::Duration;

use rtm_testkit::{MockSlack, ServerOptions};
use rtm_tokio::{BuilderExt, ClientBuilder, Error, RtmError};

#[test]
fn ssl_cert_file_is_the_system_store() {
    let slack = MockSlack::start(ServerOptions::default().tls(true)).unwrap();
    let dir = std::env::temp_dir().join(format!("rtm-tokio-roots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem = dir.join("store.pem");
    std::fs::write(&pem, slack.tls_cert().unwrap().pem()).unwrap();
    let run = |cert_file: &std::path::Path| {
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_connects", "--ignored", "--nocapture"])
            .env("SSL_CERT_FILE", cert_file)
            .env_remove("SSL_CERT_DIR")
            .env("RTM_TEST_API_URL", slack.api_url())
            .output()
            .unwrap()
    };
    let trusted = run(&pem);
    let out = String::from_utf8_lossy(&trusted.stdout);
    assert!(
        trusted.status.success() && out.contains("CONNECTED"),
        "{out}"
    );
    assert_eq!(slack.record().web_calls.len(), 1);
    assert_eq!(slack.record().connections.len(), 1);

    // A store without it: the certificate fails verification, at once.
    let other = dir.join("other.pem");
    let stranger = MockSlack::start(ServerOptions::default().tls(true)).unwrap();
    std::fs::write(&other, stranger.tls_cert().unwrap().pem()).unwrap();
    let untrusted = run(&other);
    let out = String::from_utf8_lossy(&untrusted.stdout);
    assert!(out.contains("UNTRUSTED"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Run by the test above, in a child process with `SSL_CERT_FILE` set.
#[test]
#[ignore = "run by ssl_cert_file_is_the_system_store"]
fn child_connects() {
    let Ok(url) = std::env::var("RTM_TEST_API_URL") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = ClientBuilder::new("xoxb-test-token")
            .api_url(url)
            .pacing(None)
            .build()
            .unwrap();
        match tokio::time::timeout(Duration::from_secs(10), client.start())
            .await
            .expect("in time")
        {
            Ok(_) => println!("CONNECTED"),
            Err(Error::Rtm(RtmError::Transport { error })) => println!("UNTRUSTED {error}"),
            Err(e) => println!("FAILED {e}"),
        }
    });
}
