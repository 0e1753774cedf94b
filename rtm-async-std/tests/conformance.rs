//! The testkit's conformance suite on async-std, against the loopback mock: plain and TLS.

use std::future::Future;

use rtm_async_std::{
    BuilderExt, ClientBuilder, Error, RtmClient, SocketModeBuilder, SocketModeClient,
};
use rtm_testkit::conformance::Harness;

/// async-std's global executor; each scenario is run with `task::block_on`.
struct AsyncStd;

impl Harness for AsyncStd {
    fn build(&self, builder: ClientBuilder) -> Result<RtmClient, Error> {
        builder.build()
    }

    fn build_socket_mode(&self, builder: SocketModeBuilder) -> Result<SocketModeClient, Error> {
        builder.build()
    }

    fn block_on<F: Future<Output = ()> + Send + 'static>(&self, f: F) {
        async_std::task::block_on(f);
    }
}

rtm_testkit::conformance_tests!(mod plain, harness = AsyncStd, tls = false);
rtm_testkit::conformance_tests!(mod tls, harness = AsyncStd, tls = true);

#[test]
fn the_suite_is_complete() {
    assert!(rtm_testkit::conformance::SCENARIOS.len() >= 25);
}
