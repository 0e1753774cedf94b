//! HTTP proxies for both connections of a session, written once for every adapter.
//!
//! - [`ProxyUrl`]: a proxy URL as the user gave it, whose `Debug` hides its credentials.
//! - [`Proxies`]: the proxy settings of a connector, resolved at build time (an explicit
//!   proxy, or the environment read the way curl reads it), answering "which proxy for this
//!   URL?" ([`Proxies::for_url`]).
//! - [`Proxy`]: one parsed proxy: where to dial, and its basic credentials, which never
//!   appear in `Debug`, `Display` or errors.
//! - [`Tunnel`]: the sans-IO HTTP `CONNECT` handshake: the request bytes, and a reader of the
//!   proxy's answer. An adapter writes the one and feeds the other with what it reads.
//!
//! Environment, as curl: for an `https`/`wss` target `https_proxy` then `HTTPS_PROXY`; for an
//! `http`/`ws` target `http_proxy` only (the upper-case form is ignored, as curl does, since
//! CGI servers set `HTTP_PROXY` from a request header); then `all_proxy`/`ALL_PROXY`. An empty
//! value is unset. `no_proxy`/`NO_PROXY`: comma-separated hosts, domains (`example.com` and
//! `.example.com` both match the domain and its subdomains), IP addresses, CIDR ranges, or `*`.
//! A proxy without a scheme is `http://`. Only `http://` proxies are supported.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

use crate::error::Error;
use crate::transport::{TransportError, TransportErrorKind};

/// A proxy URL as given (`http://user:password@proxy:3128`); its `Debug` hides credentials.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProxyUrl(String);

impl ProxyUrl {
    /// Wraps a proxy URL.
    pub fn new(url: impl Into<String>) -> Self {
        ProxyUrl(url.into())
    }

    /// The URL as given, credentials included: for the HTTP client that needs them.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", redact(&self.0))
    }
}

/// `url` with anything between `://` and the last `@` of its authority replaced by `***`.
fn redact(url: &str) -> String {
    let (prefix, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{prefix}***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

/// One HTTP proxy: its address and optional basic credentials (hidden from `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    host: String,
    port: u16,
    /// `user:password`, percent-decoded, for `Proxy-Authorization: Basic`.
    credentials: Option<String>,
    /// The URL without credentials, for logs and errors.
    shown: String,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("url", &self.shown)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Proxy {
    /// Parses a proxy URL (`http://[user:password@]host[:port]`; no scheme means `http`,
    /// no port means 1080, as curl). The error names the URL without its credentials.
    pub fn parse(url: &str) -> Result<Proxy, Error> {
        let invalid = |reason: &str| Error::InvalidProxy {
            url: redact(url),
            reason: reason.to_owned(),
        };
        let with_scheme = if url.contains("://") {
            url.to_owned()
        } else {
            format!("http://{url}")
        };
        let parsed = Url::parse(&with_scheme).map_err(|e| invalid(&e.to_string()))?;
        if parsed.scheme() != "http" {
            return Err(invalid(&format!(
                "scheme {:?} is not supported (only http:// proxies)",
                parsed.scheme()
            )));
        }
        let host = match parsed.host() {
            Some(Host::Domain(d)) => d.to_owned(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(invalid("no host")),
        };
        let decode = |s: &str| {
            percent_decode(s)
                .ok_or_else(|| invalid("credentials are not valid percent-encoded UTF-8"))
        };
        let credentials = if parsed.username().is_empty() && parsed.password().is_none() {
            None
        } else {
            let user = decode(parsed.username())?;
            let password = decode(parsed.password().unwrap_or(""))?;
            Some(format!("{user}:{password}"))
        };
        let mut shown = parsed.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        Ok(Proxy {
            host,
            port: parsed.port().unwrap_or(1080),
            credentials,
            shown: shown.as_str().trim_end_matches('/').to_owned(),
        })
    }

    /// The proxy's host (an IPv6 address without brackets) and port, to dial.
    pub fn addr(&self) -> (&str, u16) {
        (&self.host, self.port)
    }

    /// Whether it has credentials.
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// The `Proxy-Authorization` header value, if it has credentials (a secret).
    pub fn authorization(&self) -> Option<String> {
        self.credentials
            .as_ref()
            .map(|c| format!("Basic {}", base64(c.as_bytes())))
    }

    /// The username and password, if any (secrets), for HTTP clients that take them apart.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.credentials.as_deref().and_then(|c| c.split_once(':'))
    }

    /// The proxy URL with its credentials, for an HTTP client's proxy setting (a secret).
    pub fn url_with_credentials(&self) -> String {
        match self.credentials() {
            Some((user, password)) => {
                let mut url = Url::parse(&self.shown).expect("parsed before");
                let _ = url.set_username(user);
                let _ = url.set_password(Some(password));
                url.to_string()
            }
            None => self.shown.clone(),
        }
    }

    /// The proxy could not be reached: of kind `Proxy`, with the `io::Error` as its source.
    pub fn unreachable(&self, error: std::io::Error) -> TransportError {
        TransportError::new(
            TransportErrorKind::Proxy,
            format!("connecting to proxy {self}: {error}"),
        )
        .with_source(error)
    }

    /// The HTTP `CONNECT` handshake to `target` through this proxy.
    pub fn tunnel(&self, target: &Url) -> Result<Tunnel, TransportError> {
        let port = target
            .port_or_known_default()
            .ok_or("the target URL has no port")?;
        let authority = match target.host() {
            Some(Host::Domain(d)) => format!("{d}:{port}"),
            Some(Host::Ipv4(ip)) => format!("{ip}:{port}"),
            Some(Host::Ipv6(ip)) => format!("[{ip}]:{port}"),
            None => return Err("the target URL has no host".into()),
        };
        let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some(auth) = self.authorization() {
            request.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
        }
        request.push_str("\r\n");
        Ok(Tunnel {
            request: request.into_bytes(),
            proxy: self.shown.clone(),
            target: authority,
            answer: Vec::new(),
        })
    }
}

/// The sans-IO `CONNECT` handshake: write [`Tunnel::request`], then feed what the proxy
/// sends to [`Tunnel::read`] until it says the tunnel is open. Its `Debug` hides the request
/// (it may carry credentials).
pub struct Tunnel {
    request: Vec<u8>,
    proxy: String,
    target: String,
    answer: Vec<u8>,
}

impl fmt::Debug for Tunnel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tunnel")
            .field("proxy", &self.proxy)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// The largest proxy answer header accepted.
const MAX_ANSWER: usize = 16 * 1024;

impl Tunnel {
    /// The bytes to write to the proxy (a secret if the proxy has credentials).
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// Feeds bytes read from the proxy: `Ok(true)` once the proxy answered 2xx (the tunnel is
    /// open; the answer must end exactly at what was fed, so read one byte at a time or stop
    /// at the blank line), `Ok(false)` for more, `Err` when the proxy refused.
    pub fn read(&mut self, bytes: &[u8]) -> Result<bool, TransportError> {
        self.answer.extend_from_slice(bytes);
        let Some(end) = find(&self.answer, b"\r\n\r\n") else {
            if self.answer.len() > MAX_ANSWER {
                return Err(self.error("an answer header over 16 KiB"));
            }
            return Ok(false);
        };
        if end + 4 != self.answer.len() {
            return Err(self.error("data after the answer, before the tunnel was used"));
        }
        let head = String::from_utf8_lossy(&self.answer[..end]);
        let status_line = head.lines().next().unwrap_or_default();
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default();
        let status: Option<u16> = parts.next().and_then(|s| s.parse().ok());
        match status {
            Some(s) if version.starts_with("HTTP/1.") && (200..300).contains(&s) => Ok(true),
            Some(407) => Err(TransportError::new(
                TransportErrorKind::Proxy,
                format!(
                    "proxy {} refused the tunnel to {}: 407 proxy authentication required \
                     (check the proxy credentials)",
                    self.proxy, self.target
                ),
            )
            .with_fatal(true)),
            Some(_) => Err(self.error(&format!("answered {status_line:?}"))),
            None => Err(self.error("an answer that is not HTTP/1.x")),
        }
    }

    fn error(&self, what: &str) -> TransportError {
        TransportError::new(
            TransportErrorKind::Proxy,
            format!(
                "proxy {} refused the tunnel to {}: {what}",
                self.proxy, self.target
            ),
        )
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Where proxying was configured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Explicit,
    Environment,
}

/// The proxy settings of a connector: which proxy, if any, for each URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    /// An explicit proxy for every URL, or the environment's for https/wss and http/ws.
    https: Option<(Proxy, Source)>,
    http: Option<(Proxy, Source)>,
    no_proxy: NoProxy,
}

impl Proxies {
    /// No proxy.
    pub fn none() -> Self {
        Self::default()
    }

    /// One proxy for every URL (as the builder's `proxy(url)`; `NO_PROXY` does not apply).
    pub fn explicit(url: &str) -> Result<Self, Error> {
        let proxy = Proxy::parse(url)?;
        Ok(Proxies {
            https: Some((proxy.clone(), Source::Explicit)),
            http: Some((proxy, Source::Explicit)),
            no_proxy: NoProxy::default(),
        })
    }

    /// The process environment, read as curl reads it (see the module documentation).
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The environment as `lookup` reports it (for tests, or another source of variables).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| lookup(n).filter(|v| !v.trim().is_empty()))
        };
        let all = get(&["all_proxy", "ALL_PROXY"]);
        let https = get(&["https_proxy", "HTTPS_PROXY"]).or_else(|| all.clone());
        let http = get(&["http_proxy"]).or(all);
        let parse = |v: Option<String>| -> Result<Option<(Proxy, Source)>, Error> {
            v.map(|v| Proxy::parse(v.trim()).map(|p| (p, Source::Environment)))
                .transpose()
        };
        Ok(Proxies {
            https: parse(https)?,
            http: parse(http)?,
            no_proxy: NoProxy::parse(&get(&["no_proxy", "NO_PROXY"]).unwrap_or_default()),
        })
    }

    /// From the transport options: the explicit proxy if set, else the environment if
    /// `proxy_from_env`, else none.
    pub fn from_options(options: &crate::TransportOptions) -> Result<Self, Error> {
        match (&options.proxy, options.proxy_from_env) {
            (Some(url), _) => Self::explicit(url.expose()),
            (None, true) => Self::from_env(),
            (None, false) => Ok(Self::none()),
        }
    }

    /// The proxies' secrets in every form a string might carry them (credentials, the
    /// `Proxy-Authorization` value, the URL with credentials), to keep out of recordings.
    pub(crate) fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (proxy, _) in self.https.iter().chain(self.http.iter()) {
            if let Some((user, password)) = proxy.credentials() {
                out.push(format!("{user}:{password}"));
                out.push(password.to_owned());
                out.push(user.to_owned());
                out.extend(proxy.authorization());
                out.push(proxy.url_with_credentials());
            }
        }
        // Longest first, so that a shorter secret inside a longer one leaves no remnant.
        out.sort_by_key(|s| std::cmp::Reverse(s.len()));
        out.dedup();
        out
    }

    /// Whether no URL is proxied.
    pub fn is_none(&self) -> bool {
        self.https.is_none() && self.http.is_none()
    }

    /// The proxy for `url` (`https`/`wss` or `http`/`ws`), if any.
    pub fn for_url(&self, url: &Url) -> Option<&Proxy> {
        let (proxy, source) = match url.scheme() {
            "https" | "wss" => self.https.as_ref()?,
            _ => self.http.as_ref()?,
        };
        if *source == Source::Environment && url.host().is_some_and(|h| self.no_proxy.matches(&h)) {
            return None;
        }
        Some(proxy)
    }
}

/// `NO_PROXY`, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct NoProxy {
    all: bool,
    domains: Vec<String>,
    nets: Vec<(IpAddr, u8)>,
}

impl NoProxy {
    fn parse(value: &str) -> Self {
        let mut no = NoProxy::default();
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                no.all = true;
                continue;
            }
            let (addr, bits) = match entry.split_once('/') {
                Some((a, b)) => (a, b.parse::<u8>().ok()),
                None => (entry, None),
            };
            let bare = addr.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = bare.parse::<IpAddr>() {
                let max = if ip.is_ipv4() { 32 } else { 128 };
                no.nets.push((ip, bits.unwrap_or(max).min(max)));
                continue;
            }
            // A host, maybe with a port (ignored) and a leading dot.
            let host = entry.rsplit_once(':').map_or(entry, |(h, _)| h);
            let host = host.trim_start_matches('.').trim_end_matches('.');
            no.domains.push(host.to_ascii_lowercase());
        }
        no
    }

    fn matches(&self, host: &Host<&str>) -> bool {
        if self.all {
            return true;
        }
        match host {
            Host::Domain(d) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                self.domains.iter().any(|n| {
                    d == *n
                        || (d.len() > n.len()
                            && d.ends_with(n.as_str())
                            && d.as_bytes()[d.len() - n.len() - 1] == b'.')
                })
            }
            Host::Ipv4(ip) => self.in_nets(IpAddr::V4(*ip)),
            Host::Ipv6(ip) => self.in_nets(IpAddr::V6(*ip)),
        }
    }

    fn in_nets(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|(net, bits)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), *bits),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), *bits),
            _ => false,
        })
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let bits = usize::from(bits);
    let (whole, rest) = (bits / 8, bits % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[whole] & mask == b[whole] & mask
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn credentials_are_decoded_sent_and_never_shown() {
        let p = Proxy::parse("http://al%40ice:s3cr%3At@proxy.corp:3128").unwrap();
        assert_eq!(p.addr(), ("proxy.corp", 3128));
        assert_eq!(p.credentials(), Some(("al@ice", "s3cr:t")));
        assert_eq!(
            p.authorization().unwrap(),
            format!("Basic {}", base64(b"al@ice:s3cr:t"))
        );
        let t = p.tunnel(&url("wss://slack.example:443/link")).unwrap();
        let req = String::from_utf8(t.request().to_vec()).unwrap();
        assert!(
            req.starts_with("CONNECT slack.example:443 HTTP/1.1\r\nHost: slack.example:443\r\n")
        );
        assert!(req.contains("Proxy-Authorization: Basic "));
        for shown in [
            format!("{p:?}"),
            p.to_string(),
            format!("{t:?}"),
            format!(
                "{:?}",
                ProxyUrl::new("http://al%40ice:s3cr%3At@proxy.corp:3128")
            ),
        ] {
            assert!(!shown.contains("s3cr") && !shown.contains("ice"), "{shown}");
        }
        assert_eq!(p.to_string(), "http://proxy.corp:3128");
    }

    #[test]
    fn base64_matches_rfc_4648() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn bad_proxies_are_typed_errors_naming_the_url_without_secrets() {
        for bad in [
            "https://u:hunter2@proxy:443",
            "socks5://proxy:1080",
            "http://[::1/",
            "http://",
        ] {
            match Proxy::parse(bad) {
                Err(Error::InvalidProxy { url, reason }) => {
                    assert!(!url.contains("hunter2"), "{url}");
                    assert!(!reason.is_empty());
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert_eq!(Proxy::parse("proxy:8080").unwrap().addr(), ("proxy", 8080));
        assert_eq!(
            Proxy::parse("http://proxy").unwrap().addr(),
            ("proxy", 1080)
        );
    }

    #[test]
    fn tunnel_answers() {
        let p = Proxy::parse("http://127.0.0.1:1").unwrap();
        let mut t = p.tunnel(&url("wss://[::1]:8443/")).unwrap();
        assert!(String::from_utf8_lossy(t.request()).starts_with("CONNECT [::1]:8443 "));
        assert!(!t.read(b"HTTP/1.1 200 Connection established\r\n").unwrap());
        assert!(t.read(b"\r\n").unwrap());
        let mut t = p.tunnel(&url("https://x/")).unwrap();
        let e = t
            .read(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
            .unwrap_err();
        assert!(e.is_fatal() && e.message().contains("407"), "{e}");
        let mut t = p.tunnel(&url("https://x/")).unwrap();
        let e = t.read(b"HTTP/1.1 403 Forbidden\r\n\r\n").unwrap_err();
        assert!(
            !e.is_fatal() && e.message().contains("403") && e.message().contains("x:443"),
            "{e}"
        );
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn environment_as_curl_reads_it() {
        let p = Proxies::from_lookup(env(&[
            ("HTTPS_PROXY", "http://secure:1"),
            ("HTTP_PROXY", "http://ignored:2"),
            ("ALL_PROXY", "all:3"),
            (
                "NO_PROXY",
                "internal.corp, .example.org,10.0.0.0/8,[::1],127.0.0.1",
            ),
        ]))
        .unwrap();
        let via = |u: &str| p.for_url(&url(u)).map(|p| p.addr().0.to_owned());
        assert_eq!(via("wss://slack.com/").as_deref(), Some("secure"));
        assert_eq!(via("https://slack.com/").as_deref(), Some("secure"));
        // Upper-case HTTP_PROXY is ignored (curl); ALL_PROXY applies.
        assert_eq!(via("ws://slack.com/").as_deref(), Some("all"));
        for direct in [
            "https://internal.corp/",
            "https://a.internal.corp/",
            "https://example.org/",
            "https://b.example.org/",
            "https://10.2.3.4/",
            "ws://[::1]:9/",
            "ws://127.0.0.1:9/",
        ] {
            assert_eq!(via(direct), None, "{direct}");
        }
        assert!(via("https://notinternal.corp/").is_some());
        assert!(via("https://11.0.0.1/").is_some());
        let lower = Proxies::from_lookup(env(&[
            ("https_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://upper:1"),
        ]))
        .unwrap();
        assert_eq!(lower.for_url(&url("https://x/")).unwrap().addr().0, "lower");
        let all = Proxies::from_lookup(env(&[("https_proxy", "p:1"), ("no_proxy", "*")])).unwrap();
        assert!(all.for_url(&url("https://x/")).is_none());
        let empty = Proxies::from_lookup(env(&[("https_proxy", " ")])).unwrap();
        assert!(empty.is_none());
        assert!(matches!(
            Proxies::from_lookup(env(&[("HTTPS_PROXY", "socks5://p:1")])),
            Err(Error::InvalidProxy { .. })
        ));
    }

    #[test]
    fn an_explicit_proxy_ignores_no_proxy() {
        let p = Proxies::explicit("http://127.0.0.1:3128").unwrap();
        assert!(p.for_url(&url("ws://127.0.0.1:9/")).is_some());
        assert!(p.for_url(&url("https://slack.com/")).is_some());
    }
}
