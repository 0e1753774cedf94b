//! The web API: the calls that open a session (`rtm.connect`, `rtm.start`,
//! `apps.connections.open`), `chat.postMessage` (see `chat.rs`), and the web faults.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::record::WebCall;
use super::wire::obj;
use super::{ChannelKind, ServerAction, SlackModel, WebFault, chat, form};

/// How long a socket URL handed out by `rtm.connect` stays valid.
pub const TICKET_TTL: Duration = Duration::from_secs(30);

/// A web API request, reduced to what the model needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The API method, i.e. the path after `/api/` (e.g. `rtm.connect`).
    pub api_method: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Header names are compared case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The request body (a form or JSON).
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A form POST, as Slack's SDKs send it.
    pub fn post_form(api_method: &str, params: &[(&str, &str)]) -> Self {
        HttpRequest {
            method: "POST".into(),
            api_method: api_method.into(),
            query: String::new(),
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body: form::encode(params).into_bytes(),
        }
    }

    /// Adds `Authorization: Bearer <token>`.
    pub fn bearer(mut self, token: &str) -> Self {
        self.headers
            .push(("authorization".into(), format!("Bearer {token}")));
        self
    }

    /// The value of a request header (its name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Query parameters, then form body parameters (a body with another content type is ignored).
    pub fn params(&self) -> Vec<(String, String)> {
        let mut params = form::parse(&self.query);
        let is_form = self.header("content-type").is_none_or(|ct| {
            ct.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
        if is_form {
            params.extend(form::parse(&String::from_utf8_lossy(&self.body)));
        }
        params
    }

    /// The token from `Authorization: Bearer`, else from the `token` parameter.
    pub fn token(&self) -> Option<String> {
        let bearer = self.header("authorization").and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| rest.trim().to_string())
        });
        bearer
            .filter(|t| !t.is_empty())
            .or_else(|| {
                self.params()
                    .into_iter()
                    .find(|(k, _)| k == "token")
                    .map(|(_, v)| v)
            })
            .filter(|t| !t.is_empty())
    }
}

/// The model's answer to a web call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    /// The HTTP status (200 for Slack's own `ok:false` errors too).
    pub status: u16,
    /// Response headers, e.g. `content-type`, `Retry-After`, `Location`.
    pub headers: Vec<(String, String)>,
    /// The body, usually Slack's JSON (`{"ok":…}`).
    pub body: String,
    /// Answer only after this delay (slow-answer fault); zero otherwise.
    pub delay: Duration,
    /// The single-use ticket inside the returned `url`, on success.
    pub ticket: Option<String>,
}

impl HttpAnswer {
    pub(super) fn json(status: u16, body: String) -> Self {
        HttpAnswer {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body,
            delay: Duration::ZERO,
            ticket: None,
        }
    }

    pub(super) fn error(status: u16, error: &str) -> Self {
        Self::json(
            status,
            obj(&[("ok", false.into()), ("error", error.into())]),
        )
    }

    /// The body as JSON, when it is JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// The value of a response header (its name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl SlackModel {
    /// Answers a web call, consuming one armed web fault aimed at its method if any.
    /// What the call makes the model send (a `chat.postMessage` heard on RTM sockets) is
    /// dropped: use [`SlackModel::http_call`] for methods that post.
    pub fn http(&mut self, now: Instant, req: HttpRequest) -> HttpAnswer {
        self.http_call(now, req).0
    }

    /// Answers a web call, consuming one armed web fault aimed at its method if any, and
    /// returns what it makes the model send on its sockets.
    pub fn http_call(&mut self, now: Instant, req: HttpRequest) -> (HttpAnswer, Vec<ServerAction>) {
        let mut out = Vec::new();
        let token = req.token();
        let fault = self.take_web_fault(&req.api_method);
        let mut answer = match &fault {
            Some(WebFault::RateLimited { retry_after_secs }) => {
                let mut a = HttpAnswer::error(429, "ratelimited");
                a.headers
                    .push(("retry-after".into(), retry_after_secs.to_string()));
                a
            }
            Some(WebFault::Status { status }) => HttpAnswer {
                status: *status,
                headers: vec![("content-type".into(), "text/html".into())],
                body: format!("<html><body><h1>{status} Server Error</h1></body></html>"),
                delay: Duration::ZERO,
                ticket: None,
            },
            Some(WebFault::NotJson) => HttpAnswer {
                status: 200,
                headers: vec![("content-type".into(), "text/html".into())],
                body: "<!DOCTYPE html><html><head><title>Slack</title></head><body>Maintenance</body></html>".into(),
                delay: Duration::ZERO,
                ticket: None,
            },
            Some(WebFault::Error { error }) => HttpAnswer::error(200, error),
            Some(WebFault::Redirect { status, location }) => HttpAnswer {
                status: *status,
                headers: vec![
                    ("location".into(), location.clone()),
                    ("content-type".into(), "text/html".into()),
                ],
                body: format!("<html><body>Moved to {location}</body></html>"),
                delay: Duration::ZERO,
                ticket: None,
            },
            Some(WebFault::Slow { .. }) | None if req.api_method == "apps.connections.open" => {
                self.answer_connections_open(now, &req)
            }
            Some(WebFault::Slow { .. }) | None if req.api_method == chat::CHAT_POST_MESSAGE => {
                self.answer_post_message(now, &req, token.as_deref(), &mut out)
            }
            Some(WebFault::Slow { .. }) | None => self.answer_rtm(now, &req, token.as_deref()),
        };
        if let Some(WebFault::Slow { delay }) = fault {
            answer.delay = delay;
        }
        let params = req
            .params()
            .into_iter()
            .filter(|(k, _)| k != "token")
            .collect();
        tracing::debug!(api_method = %req.api_method, status = answer.status, ?fault, "web call");
        if req.api_method == chat::CHAT_POST_MESSAGE {
            self.record_post(now, &req, token.as_deref(), &answer, fault.clone());
        }
        self.record.web_calls.push(WebCall {
            at: now,
            api_method: req.api_method.clone(),
            params,
            token,
            status: answer.status,
            body: answer.body.clone(),
            fault,
        });
        (answer, out)
    }

    /// The first armed fault aimed at this method, if any.
    fn take_web_fault(&mut self, api_method: &str) -> Option<WebFault> {
        let i = self.web_faults.iter().position(|f| f.aims_at(api_method))?;
        let armed = &mut self.web_faults[i];
        let fault = armed.fault.clone();
        armed.left -= 1;
        if armed.left == 0 {
            self.web_faults.remove(i);
        }
        Some(fault)
    }

    fn answer_rtm(&mut self, now: Instant, req: &HttpRequest, token: Option<&str>) -> HttpAnswer {
        let legacy = match req.api_method.as_str() {
            "rtm.connect" => false,
            "rtm.start" => true,
            _ => return HttpAnswer::error(404, "unknown_method"),
        };
        let Some(token) = token else {
            return HttpAnswer::error(200, "not_authed");
        };
        if !self.ws.tokens.iter().any(|t| t == token) {
            // Slack serves RTM to bot and user tokens only.
            let error = if self.ws.apps.iter().any(|a| a.token == token) {
                "not_allowed_token_type"
            } else {
                "invalid_auth"
            };
            return HttpAnswer::error(200, error);
        }
        let ticket = self.rng.ticket();
        self.tickets.insert(
            ticket.clone(),
            super::Ticket {
                issued_at: now,
                used: false,
                app_id: None,
            },
        );
        let url = format!("{}{ticket}", self.ws_base_url);
        let bot = self.ws.bot();
        let team = &self.ws.team;
        let mut fields: Vec<(&str, Value)> = vec![
            ("ok", true.into()),
            ("url", url.into()),
            ("self", json!({"id": bot.id, "name": bot.name})),
            (
                "team",
                json!({"id": team.id, "name": team.name, "domain": team.domain}),
            ),
        ];
        if legacy {
            fields.push(("users", self.ws.users_json()));
            fields.push(("channels", self.ws.channels_json(ChannelKind::Public)));
            fields.push(("groups", self.ws.channels_json(ChannelKind::Private)));
            fields.push(("ims", self.ws.channels_json(ChannelKind::Im)));
            fields.push(("mpims", self.ws.channels_json(ChannelKind::Mpim)));
            fields.push(("bots", self.ws.bots_json()));
        }
        let mut answer = HttpAnswer::json(200, obj(&fields));
        answer.ticket = Some(ticket);
        answer
    }
}
