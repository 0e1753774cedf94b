//! Web API calls (`chat.postMessage` and any other method), decided in the core on virtual
//! time: validation, per-channel order and pacing, 429 `Retry-After` per method, retries of
//! 5xx and transport failures with seeded backoff, timeouts. Both cores own one [`WebApi`]
//! and hand it [`Input::ApiCall`](crate::Input::ApiCall) and
//! [`Input::ApiResult`](crate::Input::ApiResult) in every state: the Web API needs no socket.
//!
//! The decisions, per answer of an attempt:
//! - 2xx with `ok:true`: settled with the [`ApiAnswer`]; `ok:false`: [`ApiError::Slack`], not
//!   retried (but `ratelimited` counts as a 429 of 1 s); not JSON or no `ok`:
//!   [`ApiError::InvalidResponse`];
//! - 429: the call and every call of its method wait the `Retry-After`, up to
//!   `rate_limit_retries` times, then [`ApiError::RateLimited`];
//! - 5xx, or a transport failure that is not fatal: retried after a seeded backoff, up to
//!   `max_retries` times, then [`ApiError::Http`] / [`ApiError::Transport`] with the last
//!   cause; a fatal transport failure, a 3xx (never followed) or another 4xx: at once;
//! - no answer within `timeout`: [`ApiError::Timeout`], **not retried**, since the request
//!   may have been performed (a `chat.postMessage` that reached Slack and whose answer was
//!   lost would be posted twice); the caller, who knows whether the call is idempotent,
//!   decides.
//!
//! Calls with a pacing key (a post's channel) go one at a time per key, in the order they
//! were made, through the per-key pacer ([`WebApiConfig::pacing`]): a 429 or a backoff of
//! one holds those behind it. `Disconnect` cancels nothing; `Shutdown` settles every pending
//! call with [`ApiError::ClientClosed`], and so are later calls. An answer for a call that
//! is settled, unknown, or waiting for its retry is ignored.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

pub use crate::config::{Backoff, WebApiConfig};
pub use crate::web_api_wire::{ApiAnswer, ApiError, ApiRequest, ChatPostMessage, PostedMessage};

use crate::action::Action;
use crate::backoff::Jitter;
use crate::config::Token;
use crate::connect::retry_after;
use crate::ids::CallId;
use crate::input::WebResponse;
use crate::pacing::Pacer;
use crate::time::{after, earliest};

/// A `Retry-After` that is missing or cannot be read waits this long (also the wait after
/// `ok:false` with `ratelimited`, and the least any 429 waits).
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The longest `Retry-After` honoured: a server asking for more is waited an hour.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Mixed into the core's seed, so the Web API's jitter is not the reconnects'.
const SEED_SALT: u64 = 0x7765_6261_7069_0001;

/// Where a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Waiting for its turn (and, after a failure, until `not_before`).
    Waiting { not_before: Option<Instant> },
    /// A [`CallApi`](Action::CallApi) is out; its answer is due by `deadline`.
    InFlight { deadline: Instant },
}

#[derive(Debug)]
struct Call {
    id: CallId,
    method: String,
    form: Vec<(String, String)>,
    token: Token,
    key: Option<String>,
    stage: Stage,
    /// 5xx answers and transport failures so far.
    failures: u32,
    /// 429 answers so far.
    rate_limited: u32,
}

/// What one answer means for its call.
enum Outcome {
    Done(Result<ApiAnswer, ApiError>),
    /// Wait this long, then try again (429).
    RateLimited(Duration),
    /// Back off and try again, or fail with this when the retries are spent.
    Retry(ApiError),
}

/// The Web API component of a core.
#[derive(Debug)]
pub(crate) struct WebApi {
    config: WebApiConfig,
    jitter: Jitter,
    pacer: Option<Pacer>,
    /// Pending calls by arrival number: the order calls are considered in.
    calls: BTreeMap<u64, Call>,
    index: HashMap<CallId, u64>,
    next_seq: u64,
    /// Methods held after a 429, until then.
    held: HashMap<String, Instant>,
    in_flight: usize,
    wake: Option<Instant>,
    closed: bool,
}

impl WebApi {
    /// A component with a checked configuration and the core's seed.
    pub(crate) fn new(config: WebApiConfig, seed: u64) -> Self {
        WebApi {
            pacer: config.pacing.map(Pacer::new),
            config,
            jitter: Jitter::new(seed ^ SEED_SALT),
            calls: BTreeMap::new(),
            index: HashMap::new(),
            next_seq: 0,
            held: HashMap::new(),
            in_flight: 0,
            wake: None,
            closed: false,
        }
    }

    /// When to tick next: an attempt's deadline, a retry's time, the end of a 429's hold
    /// or of a channel's pacing. `Some` whenever a call is pending.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.wake
    }

    /// Calls not yet settled.
    pub(crate) fn pending(&self) -> usize {
        self.calls.len()
    }

    /// Calls whose [`CallApi`](Action::CallApi) awaits its answer.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The user's [`Input::ApiCall`](crate::Input::ApiCall): refused at once if it cannot be
    /// sent, else queued and sent when its turn comes.
    pub(crate) fn call(
        &mut self,
        now: Instant,
        id: CallId,
        request: ApiRequest,
        out: &mut Vec<Action>,
    ) {
        if self.closed {
            return out.push(settled(id, Err(ApiError::ClientClosed)));
        }
        if self.index.contains_key(&id) {
            let detail = format!("{id} is already pending");
            return out.push(settled(id, Err(ApiError::InvalidRequest { detail })));
        }
        if let Some(detail) = request.problem() {
            return out.push(settled(id, Err(ApiError::InvalidRequest { detail })));
        }
        let (method, form, token, key) = request.into_parts();
        let seq = self.next_seq;
        self.next_seq += 1;
        self.index.insert(id, seq);
        self.calls.insert(
            seq,
            Call {
                id,
                method,
                form,
                token,
                key,
                stage: Stage::Waiting { not_before: None },
                failures: 0,
                rate_limited: 0,
            },
        );
        self.pump(now, out);
    }

    /// The transport's [`Input::ApiResult`](crate::Input::ApiResult); false (nothing done)
    /// for a call that is settled, unknown, or has no attempt under way.
    pub(crate) fn result(
        &mut self,
        now: Instant,
        id: CallId,
        result: Result<WebResponse, crate::TransportError>,
        out: &mut Vec<Action>,
    ) -> bool {
        let Some(&seq) = self.index.get(&id) else {
            return false;
        };
        let Some(call) = self.calls.get_mut(&seq) else {
            return false;
        };
        if !matches!(call.stage, Stage::InFlight { .. }) {
            return false;
        }
        self.in_flight = self.in_flight.saturating_sub(1);
        call.stage = Stage::Waiting { not_before: None };
        let (rate_limited, failures) = (call.rate_limited, call.failures);
        let method = call.method.clone();
        let mut wait_until = None;
        match classify(&method, result) {
            Outcome::Done(result) => self.settle(seq, result, out),
            Outcome::RateLimited(wait) => {
                let until = after(now, wait);
                let hold = self.held.entry(method.clone()).or_insert(until);
                *hold = (*hold).max(until);
                if rate_limited >= self.config.rate_limit_retries {
                    let error = ApiError::RateLimited {
                        method,
                        retry_after: wait,
                    };
                    self.settle(seq, Err(error), out);
                } else {
                    wait_until = Some((until, rate_limited + 1, failures));
                }
            }
            Outcome::Retry(error) => {
                let failures = failures.saturating_add(1);
                if failures > self.config.max_retries {
                    self.settle(seq, Err(error), out);
                } else {
                    let b = self.config.retry;
                    let delay =
                        self.jitter
                            .backoff(b.initial_delay, b.factor, b.max_delay, failures);
                    wait_until = Some((after(now, delay), rate_limited, failures));
                }
            }
        }
        if let Some((until, rate_limited, failures)) = wait_until
            && let Some(call) = self.calls.get_mut(&seq)
        {
            call.rate_limited = rate_limited;
            call.failures = failures;
            call.stage = Stage::Waiting {
                not_before: Some(until),
            };
        }
        self.pump(now, out);
        true
    }

    /// Time passed: attempts past their deadline fail with `Timeout`; calls whose time has
    /// come are sent.
    pub(crate) fn tick(&mut self, now: Instant, out: &mut Vec<Action>) {
        let late: Vec<u64> = self
            .calls
            .iter()
            .filter(|(_, c)| matches!(c.stage, Stage::InFlight { deadline } if deadline <= now))
            .map(|(seq, _)| *seq)
            .collect();
        for seq in late {
            if let Some(call) = self.calls.get(&seq) {
                let error = ApiError::Timeout {
                    method: call.method.clone(),
                    after: self.config.timeout,
                };
                self.in_flight = self.in_flight.saturating_sub(1);
                self.settle(seq, Err(error), out);
            }
        }
        self.pump(now, out);
    }

    /// The client is shut down: every pending call settles with `ClientClosed`, in order,
    /// and later calls too.
    pub(crate) fn shutdown(&mut self, out: &mut Vec<Action>) {
        self.closed = true;
        for (_, call) in std::mem::take(&mut self.calls) {
            out.push(settled(call.id, Err(ApiError::ClientClosed)));
        }
        self.index.clear();
        self.held.clear();
        self.in_flight = 0;
        self.wake = None;
    }

    fn settle(&mut self, seq: u64, result: Result<ApiAnswer, ApiError>, out: &mut Vec<Action>) {
        if let Some(call) = self.calls.remove(&seq) {
            self.index.remove(&call.id);
            out.push(settled(call.id, result));
        }
    }

    /// Sends every call whose turn has come, and notes when to look again. A call goes
    /// when: it is the first pending call of its pacing key (so one per key at a time, in
    /// order); its retry time has come; its method is not held by a 429; its key's pacing
    /// allows; and fewer than `max_in_flight` calls are out.
    fn pump(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.held.retain(|_, until| *until > now);
        let mut wake = None;
        let mut in_flight = self.in_flight;
        let mut heads: HashSet<&str> = HashSet::new();
        let mut go = Vec::new();
        for (seq, call) in &self.calls {
            if let Some(key) = call.key.as_deref()
                && !heads.insert(key)
            {
                continue;
            }
            match call.stage {
                Stage::InFlight { deadline } => {
                    wake = earliest(wake, Some(deadline));
                    continue;
                }
                Stage::Waiting {
                    not_before: Some(t),
                } if t > now => {
                    wake = earliest(wake, Some(t));
                    continue;
                }
                Stage::Waiting { .. } => {}
            }
            if let Some(&until) = self.held.get(&call.method) {
                wake = earliest(wake, Some(until));
                continue;
            }
            if let (Some(pacer), Some(key)) = (&self.pacer, call.key.as_deref())
                && let Err(at) = pacer.check(key, now)
            {
                wake = earliest(wake, Some(at));
                continue;
            }
            // Full: a result frees a place.
            if in_flight >= self.config.max_in_flight {
                continue;
            }
            in_flight += 1;
            go.push(*seq);
        }
        let deadline = after(now, self.config.timeout);
        for seq in go {
            let Some(call) = self.calls.get_mut(&seq) else {
                continue;
            };
            if let (Some(pacer), Some(key)) = (&mut self.pacer, call.key.as_deref()) {
                pacer.take(key, now);
            }
            call.stage = Stage::InFlight { deadline };
            wake = earliest(wake, Some(deadline));
            out.push(Action::CallApi {
                call: call.id,
                method: call.method.clone(),
                token: call.token.clone(),
                form: call.form.clone(),
            });
        }
        self.in_flight = in_flight;
        self.wake = wake;
    }
}

fn settled(call: CallId, result: Result<ApiAnswer, ApiError>) -> Action {
    Action::ApiSettled { call, result }
}

/// `Retry-After` as the wait before the next attempt: whole or fractional seconds, clamped
/// to [1 s, 1 h]; missing or unreadable is 1 s.
fn rate_limit_wait(header: Option<&str>) -> Duration {
    retry_after(header)
        .unwrap_or(DEFAULT_RETRY_AFTER)
        .clamp(DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER)
}

/// What an attempt's answer means.
fn classify(method: &str, result: Result<WebResponse, crate::TransportError>) -> Outcome {
    let method = method.to_owned();
    let resp = match result {
        Err(error) if error.is_fatal() => {
            return Outcome::Done(Err(ApiError::Transport { method, error }));
        }
        Err(error) => return Outcome::Retry(ApiError::Transport { method, error }),
        Ok(resp) => resp,
    };
    match resp.status {
        429 => Outcome::RateLimited(rate_limit_wait(resp.retry_after.as_deref())),
        200..=299 => {
            let json: serde_json::Value = match serde_json::from_str(&resp.body) {
                Ok(v) => v,
                Err(e) => {
                    return Outcome::Done(Err(ApiError::InvalidResponse {
                        method,
                        detail: format!("not JSON: {e}"),
                    }));
                }
            };
            match json.get("ok").and_then(serde_json::Value::as_bool) {
                Some(true) => Outcome::Done(Ok(ApiAnswer { method, json })),
                Some(false) => {
                    let text = |k: &str| json.get(k).and_then(|v| v.as_str()).map(str::to_owned);
                    let error = text("error").unwrap_or_else(|| "unknown_error".into());
                    if error == "ratelimited" {
                        return Outcome::RateLimited(rate_limit_wait(resp.retry_after.as_deref()));
                    }
                    Outcome::Done(Err(ApiError::Slack {
                        method,
                        error,
                        needed: text("needed"),
                        warning: text("warning"),
                    }))
                }
                None => Outcome::Done(Err(ApiError::InvalidResponse {
                    method,
                    detail: "no boolean `ok` in the answer".into(),
                })),
            }
        }
        500..=599 => Outcome::Retry(ApiError::Http {
            method,
            status: resp.status,
        }),
        status => Outcome::Done(Err(ApiError::Http { method, status })),
    }
}
