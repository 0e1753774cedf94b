//! The options of a client, and building one on a runtime and a connector.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use rtm_proto::{Config, Pacing, RetryPolicy, StartOptions, Token};

use crate::client::RtmClient;
use crate::driver::Endpoint;
use crate::error::Error;
use crate::proxy::{Proxies, ProxyUrl};
use crate::record::RecordTo;
use crate::runtime::Runtime;
use crate::transport::Connector;
use crate::url_policy::{self, Kind};

/// The default Web API URL.
pub const DEFAULT_API_URL: &str = "https://slack.com/api/";

/// Settings that adapters read to build their [`Connector`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportOptions {
    /// Root certificates (DER) trusted in addition to the default roots (the system's
    /// store or the webpki roots, per the adapter's features), e.g. a test server's.
    pub extra_root_certs: Vec<Vec<u8>>,
    /// An HTTP proxy for the web call and the WebSocket (`http://[user:pass@]host:port`;
    /// the socket goes through a `CONNECT` tunnel). Its `Debug` hides credentials.
    pub proxy: Option<ProxyUrl>,
    /// Without an explicit `proxy`: read `HTTPS_PROXY` / `ALL_PROXY` / `NO_PROXY` as curl
    /// does (see [`Proxies`](crate::Proxies)). Off by default: no variable applies.
    pub proxy_from_env: bool,
    /// Whether `http://`/`ws://` URLs to non-loopback hosts are allowed.
    pub allow_insecure: bool,
}

/// The options of a client; `build_with` (or an adapter's `build`) makes the client.
///
/// ```
/// # use std::time::Duration;
/// let builder = rtm_driver::ClientBuilder::new("xoxb-secret")
///     .auto_reconnect(true)
///     .client_ping_timeout(Duration::from_secs(30))
///     .server_pong_timeout(Duration::from_secs(10));
/// assert!(builder.validate().is_ok());
/// assert!(!format!("{builder:?}").contains("secret"));
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    start: StartOptions,
    config: Config,
    seeded: bool,
    common: Common,
    record: Option<RecordTo>,
}

/// The options every client has, whatever its protocol.
#[derive(Debug, Clone)]
pub(crate) struct Common {
    pub(crate) api_url: String,
    pub(crate) transport: TransportOptions,
    pub(crate) event_buffer: usize,
    pub(crate) name: Option<String>,
}

impl Default for Common {
    fn default() -> Self {
        Common {
            api_url: DEFAULT_API_URL.to_owned(),
            transport: TransportOptions::default(),
            event_buffer: 32,
            name: None,
        }
    }
}

impl Common {
    /// The API URL parsed and checked by the URL policy: the value the web call dials.
    pub(crate) fn checked_api_url(&self) -> Result<url::Url, Error> {
        url_policy::check(&self.api_url, Kind::Api, self.transport.allow_insecure)
    }

    /// The URL policy and the proxy settings.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        self.checked_api_url()?;
        Proxies::from_options(&self.transport).map(drop)
    }

    /// The secrets of the transport settings, for a recording to leave out.
    pub(crate) fn secrets(&self) -> Vec<String> {
        Proxies::from_options(&self.transport)
            .map(|p| p.secrets())
            .unwrap_or_default()
    }

    pub(crate) fn endpoint(&self) -> Result<Endpoint, Error> {
        Ok(Endpoint {
            api_url: self.checked_api_url()?,
            allow_insecure: self.transport.allow_insecure,
        })
    }
}

/// A random seed from `seed`: entropy, not policy (the std hasher's keys are random per
/// process and instance), so that a fleet does not reconnect in lockstep.
pub(crate) fn random_seed(seed: u64) -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(seed);
    h.finish()
}

/// The builder methods of [`Common`], written once for every builder.
macro_rules! common_options {
    () => {
        /// The Web API base URL (`slackApiUrl`), default `https://slack.com/api/`.
        pub fn api_url(mut self, url: impl Into<String>) -> Self {
            let mut url = url.into();
            if !url.ends_with('/') {
                url.push('/');
            }
            self.common.api_url = url;
            self
        }

        /// Trusts this root certificate (DER) in addition to the default roots (the
        /// system's store, or the webpki roots, per the adapter's features).
        pub fn add_root_certificate(mut self, der: impl Into<Vec<u8>>) -> Self {
            self.common.transport.extra_root_certs.push(der.into());
            self
        }

        /// Sends the web calls and the WebSocket (HTTP `CONNECT` tunnel) through this HTTP
        /// proxy, `http://[user:password@]host[:port]`, like Node's `agent` option; basic
        /// credentials from the URL are sent to the proxy and never shown. Checked at build
        /// time ([`Error::InvalidProxy`](crate::Error::InvalidProxy)). Overrides
        /// `proxy_from_env`.
        pub fn proxy(mut self, url: impl Into<String>) -> Self {
            self.common.transport.proxy = Some(crate::proxy::ProxyUrl::new(url));
            self
        }

        /// Reads the proxy from `HTTPS_PROXY` / `ALL_PROXY` (and `http_proxy` for plain
        /// URLs), with `NO_PROXY` exceptions, the way curl does (default false: the
        /// environment is ignored). Read when the client is built.
        pub fn proxy_from_env(mut self, on: bool) -> Self {
            self.common.transport.proxy_from_env = on;
            self
        }

        /// Accept plain `http://`/`ws://` URLs to any host. Without it they are accepted
        /// only for loopback hosts (127.0.0.0/8, ::1, localhost).
        pub fn allow_insecure(mut self, on: bool) -> Self {
            self.common.transport.allow_insecure = on;
            self
        }

        /// The client's name in its logs: every line the client logs is inside a `rtm` span
        /// with this `name` (default: `TEAM/USER` ids once authenticated for RTM, the app id
        /// for Socket Mode), so that many clients in one process can be told apart.
        pub fn name(mut self, name: impl Into<String>) -> Self {
            self.common.name = Some(name.into());
            self
        }

        /// Each subscriber's buffer, in deliveries: one delivery holds the events of one
        /// wake-up of the driver (at most 128). Default 32. See [`Events`](crate::Events).
        pub fn event_buffer(mut self, deliveries: usize) -> Self {
            self.common.event_buffer = deliveries.max(1);
            self
        }

        /// The settings a connector is built from.
        pub fn transport(&self) -> &crate::TransportOptions {
            &self.common.transport
        }

        /// The Web API base URL.
        pub fn api_url_str(&self) -> &str {
            &self.common.api_url
        }

        /// The API URL parsed and checked by the URL policy: the value the web call dials.
        pub fn checked_api_url(&self) -> Result<crate::Url, crate::Error> {
            self.common.checked_api_url()
        }
    };
}
pub(crate) use common_options;

impl ClientBuilder {
    /// Options with the reference client's defaults and this token.
    pub fn new(token: impl Into<Token>) -> Self {
        ClientBuilder {
            start: StartOptions::new(token),
            config: Config::default(),
            seeded: false,
            common: Common::default(),
            record: None,
        }
    }

    common_options!();

    /// Reconnect after the connection is lost (`autoReconnect`, default true).
    pub fn auto_reconnect(mut self, on: bool) -> Self {
        self.config.auto_reconnect = on;
        self
    }

    /// `rtm.connect` (true, default) or the legacy `rtm.start`.
    pub fn use_rtm_connect(mut self, on: bool) -> Self {
        self.config.use_rtm_connect = on;
        self
    }

    /// Ping after this long without an outgoing frame (default 6 s).
    pub fn client_ping_timeout(mut self, d: Duration) -> Self {
        self.config.client_ping_timeout = d;
        self
    }

    /// Reconnect when a ping is unanswered this long (default 4 s; must be shorter than
    /// `client_ping_timeout`).
    pub fn server_pong_timeout(mut self, d: Duration) -> Self {
        self.config.server_pong_timeout = d;
        self
    }

    /// After a reconnect, how long replies from the previous connection are awaited (2 s).
    pub fn reply_ack_on_reconnect_timeout(mut self, d: Duration) -> Self {
        self.config.reply_ack_on_reconnect_timeout = d;
        self
    }

    /// How long an awaited reply is waited for; `None` waits as long as the session lives.
    pub fn reply_timeout(mut self, d: Option<Duration>) -> Self {
        self.config.reply_timeout = d;
        self
    }

    /// Deadline of the `rtm.connect` web call (default 30 s).
    pub fn web_call_timeout(mut self, d: Duration) -> Self {
        self.config.web_call_timeout = d;
        self
    }

    /// Deadline from the web call's success to `hello` (default 10 s).
    pub fn hello_timeout(mut self, d: Duration) -> Self {
        self.config.hello_timeout = d;
        self
    }

    /// How long a close handshake may take (default 2 s).
    pub fn close_timeout(mut self, d: Duration) -> Self {
        self.config.close_timeout = d;
        self
    }

    /// Retries of failed connection attempts (`retryConfig`). By default a first `start()`
    /// gives up after 10 retries (a wrong URL or token fails within about 4 minutes), and a
    /// session that has been ready rides out 30 minutes of outage, each wait capped at 60 s
    /// with jitter; [`RetryPolicy`] bounds either by attempts, by time, or not at all.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// Per-channel pacing of messages; `None` switches it off (default about 1/s, burst 3).
    pub fn pacing(mut self, pacing: Option<Pacing>) -> Self {
        self.config.pacing = pacing;
        self
    }

    /// The Web API's timeouts, retries and pacing (see
    /// [`WebApi`](crate::WebApi); default: 30 s per attempt, 3 retries of 5xx and transport
    /// failures from 1 s, 10 of 429, posts paced about 1/s per channel with bursts of 3).
    pub fn web_api(mut self, config: rtm_proto::WebApiConfig) -> Self {
        self.config.web_api = config;
        self
    }

    /// At most this many sends wait in the queue (default 1024).
    pub fn queue_limit(mut self, n: usize) -> Self {
        self.config.queue_limit = n;
        self
    }

    /// Largest outgoing frame in bytes (default 16 KiB, Slack's limit); larger sends fail
    /// with `TooLarge`.
    pub fn max_frame_bytes(mut self, n: usize) -> Self {
        self.config.max_frame_bytes = n;
        self
    }

    /// Longest `text` of an outgoing `message`, in characters (default 4000); `None` leaves
    /// the check to Slack.
    pub fn max_message_chars(mut self, n: Option<usize>) -> Self {
        self.config.max_message_chars = n;
        self
    }

    /// Emit `outgoing_message` for every frame written (default true).
    pub fn emit_outgoing(mut self, on: bool) -> Self {
        self.config.emit_outgoing = on;
        self
    }

    /// The backoff jitter seed (default: random per client, so a fleet does not reconnect
    /// in lockstep; set it for reproducible runs).
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self.seeded = true;
        self
    }

    /// Every core option at once (replaces those set before).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// `batch_presence_aware` form parameter of `rtm.connect`.
    pub fn batch_presence_aware(mut self, on: bool) -> Self {
        self.start.batch_presence_aware = Some(on);
        self
    }

    /// `presence_sub` form parameter of `rtm.connect`.
    pub fn presence_sub(mut self, on: bool) -> Self {
        self.start.presence_sub = Some(on);
        self
    }

    /// How long a queued send may wait for a ready session (through an outage) before it
    /// fails with `QueueTimeout`; `None` (the default) waits as long as the client retries.
    pub fn send_timeout(mut self, d: Option<Duration>) -> Self {
        self.config.send_timeout = d;
        self
    }

    /// Records the session into `writer` as JSON lines: a header (library version, the
    /// core's configuration and seed), then every input the core is fed, with its time since
    /// the first input and a digest of the actions it returned, for `rtm-replay` (see
    /// `rtm_proto::recording`). The token, proxy credentials and `Authorization` headers
    /// never reach it; **message contents do**: a recording is as sensitive as the
    /// workspace's history. The lines are written by a thread of the recording's own
    /// (buffered); a writer that fails or falls far behind ends the recording, reported once
    /// at WARN, and the session goes on. The writer is dropped when the session ends. Clones
    /// of this builder share the writer: the first client built takes it.
    pub fn record_to(mut self, writer: impl std::io::Write + Send + 'static) -> Self {
        let writer: Box<dyn std::io::Write + Send> = Box::new(writer);
        self.record = Some(RecordTo::Writer(std::sync::Arc::new(
            std::sync::Mutex::new(Some(writer)),
        )));
        self
    }

    /// [`record_to`](Self::record_to) a file, created (or truncated) when the client is
    /// built ([`Error::Recording`] if it cannot be).
    pub fn record_to_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.record = Some(RecordTo::File(path.into()));
        self
    }

    /// The core options.
    pub fn core_config(&self) -> &Config {
        &self.config
    }

    /// Checks the options: the core's rules, the URL policy and the proxy settings.
    pub fn validate(&self) -> Result<(), Error> {
        self.config.validate()?;
        self.common.validate()
    }

    /// Builds the client and spawns its driver task on `runtime`. The connector does the I/O.
    pub fn build_with<R: Runtime, C: Connector>(
        mut self,
        runtime: R,
        connector: C,
    ) -> Result<RtmClient, Error> {
        self.validate()?;
        let endpoint = self.common.endpoint()?;
        if !self.seeded {
            self.config.seed = random_seed(self.config.seed);
        }
        let record = match &self.record {
            Some(to) => to
                .open()
                .map_err(|e| Error::Recording(e.to_string()))?
                .map(|writer| {
                    let mut secrets = self.common.secrets();
                    secrets.push(self.start.token.expose().to_owned());
                    (writer, secrets)
                }),
            None => None,
        };
        RtmClient::spawn(
            runtime,
            connector,
            crate::client::Settings {
                record,
                start: self.start,
                endpoint,
                config: self.config,
                event_buffer: self.common.event_buffer,
                name: self.common.name,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_limit_reaches_the_core_config() {
        let b = ClientBuilder::new("xoxb-1")
            .max_frame_bytes(4096)
            .max_message_chars(None);
        assert_eq!(b.core_config().max_frame_bytes, 4096);
        assert_eq!(b.core_config().max_message_chars, None);
        assert!(b.validate().is_ok());
        let too_small = ClientBuilder::new("xoxb-1").max_frame_bytes(8);
        assert!(matches!(too_small.validate(), Err(Error::Config(_))));
    }
}
