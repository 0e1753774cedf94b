//! The testkit's conformance suite on tokio, against the loopback mock: plain and TLS.

use std::future::Future;

use rtm_testkit::conformance::Harness;
use rtm_tokio::{BuilderExt, ClientBuilder, Error, RtmClient, SocketModeBuilder, SocketModeClient};

/// A fresh multi-thread runtime per scenario (as `#[tokio::test(flavor = "multi_thread")]`).
struct Tokio(tokio::runtime::Runtime);

impl Tokio {
    fn new() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        Tokio(rt)
    }
}

impl Harness for Tokio {
    fn build(&self, builder: ClientBuilder) -> Result<RtmClient, Error> {
        // Called from inside block_on, so `build()` finds the current runtime.
        builder.build()
    }

    fn build_socket_mode(&self, builder: SocketModeBuilder) -> Result<SocketModeClient, Error> {
        builder.build()
    }

    fn block_on<F: Future<Output = ()> + Send + 'static>(&self, f: F) {
        self.0.block_on(f);
    }
}

rtm_testkit::conformance_tests!(mod plain, harness = Tokio::new(), tls = false);
rtm_testkit::conformance_tests!(mod tls, harness = Tokio::new(), tls = true);

#[test]
fn the_suite_is_complete() {
    assert!(rtm_testkit::conformance::SCENARIOS.len() >= 25);
}
