//! A loopback HTTP proxy for tests: `CONNECT` tunnels (what a client uses for `https`/`wss`
//! through a proxy) and absolute-form forwarding (plain `http` through a proxy), recording
//! every connection it is asked for, optionally requiring basic credentials.
//!
//! It runs on plain threads (no runtime), so tests on any runtime use it the same way:
//!
//! ```
//! let proxy = rtm_testkit::proxy::ConnectProxy::start().unwrap();
//! let url = proxy.url(); // http://127.0.0.1:<port>
//! # let _ = url;
//! assert!(proxy.record().is_empty());
//! ```

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// One connection a client asked the proxy for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxied {
    /// `CONNECT` for a tunnel, else the forwarded request's method (`POST`, ...).
    pub method: String,
    /// `host:port` asked for.
    pub target: String,
    /// The forwarded request's path (origin form); empty for a tunnel.
    pub path: String,
    /// The `Proxy-Authorization` header as sent, if any.
    pub authorization: Option<String>,
    /// Whether the proxy let it through (credentials matched, upstream reachable).
    pub allowed: bool,
}

impl Proxied {
    /// The basic credentials sent, decoded (`user`, `password`).
    pub fn basic_credentials(&self) -> Option<(String, String)> {
        let b64 = self.authorization.as_deref()?.strip_prefix("Basic ")?;
        let raw = String::from_utf8(decode_base64(b64.trim())?).ok()?;
        let (user, password) = raw.split_once(':')?;
        Some((user.to_owned(), password.to_owned()))
    }
}

#[derive(Debug, Default)]
struct State {
    record: Mutex<Vec<Proxied>>,
    stop: AtomicBool,
}

/// The proxy; stops accepting when dropped (open tunnels end with their sockets).
#[derive(Debug)]
pub struct ConnectProxy {
    addr: SocketAddr,
    state: Arc<State>,
}

impl ConnectProxy {
    /// A proxy on a free loopback port that requires no credentials.
    pub fn start() -> std::io::Result<Self> {
        Self::start_inner(None)
    }

    /// A proxy that answers `407` unless the client sends these basic credentials.
    pub fn with_credentials(user: &str, password: &str) -> std::io::Result<Self> {
        Self::start_inner(Some(format!("{user}:{password}")))
    }

    fn start_inner(credentials: Option<String>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::default());
        let accept_state = state.clone();
        thread::Builder::new()
            .name("connect-proxy".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if accept_state.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let state = accept_state.clone();
                    let credentials = credentials.clone();
                    let _ = thread::Builder::new()
                        .name("connect-proxy-conn".into())
                        .spawn(move || serve(conn, &state, credentials.as_deref()));
                }
            })?;
        Ok(ConnectProxy { addr, state })
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://user:password@127.0.0.1:<port>` (percent-encoding left to the caller).
    pub fn url_with(&self, userinfo: &str) -> String {
        format!("http://{userinfo}@{}", self.addr)
    }

    /// Every connection asked for so far, in order.
    pub fn record(&self) -> Vec<Proxied> {
        self.state
            .record
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Reads the request head, byte by byte (nothing past it may be consumed).
fn read_head(conn: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte).ok()? == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.push(byte[0]);
    }
    String::from_utf8(head).ok()
}

fn serve(mut client: TcpStream, state: &State, credentials: Option<&str>) {
    let Some(head) = read_head(&mut client) else {
        return;
    };
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (method, uri) = (
        parts.next().unwrap_or_default().to_owned(),
        parts.next().unwrap_or_default().to_owned(),
    );
    let mut authorization = None;
    let mut forwarded_headers = String::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        if name.eq_ignore_ascii_case("proxy-authorization") {
            authorization = Some(value.trim().to_owned());
        } else if !name.eq_ignore_ascii_case("proxy-connection")
            && !name.eq_ignore_ascii_case("connection")
        {
            forwarded_headers.push_str(line);
            forwarded_headers.push_str("\r\n");
        }
    }
    let (target, path) = if method == "CONNECT" {
        (uri.clone(), String::new())
    } else {
        let rest = uri.strip_prefix("http://").unwrap_or(&uri);
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let authority = if authority.contains(':') {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        (
            authority,
            if path.is_empty() {
                "/".into()
            } else {
                path.to_owned()
            },
        )
    };
    let mut entry = Proxied {
        method: method.clone(),
        target: target.clone(),
        path: path.clone(),
        authorization,
        allowed: false,
    };
    let authorized = credentials.is_none_or(|c| {
        entry
            .basic_credentials()
            .is_some_and(|(u, p)| format!("{u}:{p}") == c)
    });
    let upstream = if authorized {
        TcpStream::connect(&target).ok()
    } else {
        None
    };
    entry.allowed = upstream.is_some();
    state
        .record
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(entry);
    let Some(mut upstream) = upstream else {
        let answer = if authorized {
            "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        } else {
            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        };
        let _ = client.write_all(answer.as_bytes());
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    if method == "CONNECT" {
        if client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .is_err()
        {
            return;
        }
    } else {
        // Origin form upstream; one request per connection keeps the record exact.
        let head =
            format!("{method} {path} HTTP/1.1\r\n{forwarded_headers}Connection: close\r\n\r\n");
        if upstream.write_all(head.as_bytes()).is_err() {
            return;
        }
    }
    splice(client, upstream);
}

/// Copies both ways until either side closes.
fn splice(client: TcpStream, upstream: TcpStream) {
    let (Ok(mut c2), Ok(mut u2)) = (client.try_clone(), upstream.try_clone()) else {
        return;
    };
    let up = thread::spawn(move || {
        let mut client = client;
        let mut upstream = upstream;
        let _ = std::io::copy(&mut client, &mut upstream);
        let _ = upstream.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut u2, &mut c2);
    let _ = c2.shutdown(Shutdown::Both);
    let _ = up.join();
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes: Vec<u8> = s.bytes().filter(|&b| b != b'=').collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let take = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&n.to_be_bytes()[1..1 + take]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tunnels_and_records_with_credentials() {
        let echo = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let echo_addr = echo.local_addr().unwrap();
        thread::spawn(move || {
            let (mut s, _) = echo.accept().unwrap();
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).unwrap();
            s.write_all(&buf).unwrap();
        });
        let proxy = ConnectProxy::with_credentials("al", "pw").unwrap();
        // Wrong credentials: 407.
        let mut c = TcpStream::connect(proxy.addr()).unwrap();
        write!(
            c,
            "CONNECT {echo_addr} HTTP/1.1\r\nHost: {echo_addr}\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        c.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 407"), "{answer}");
        // Right ones (YWw6cHc= is al:pw): a tunnel.
        let mut c = TcpStream::connect(proxy.addr()).unwrap();
        write!(
            c,
            "CONNECT {echo_addr} HTTP/1.1\r\nProxy-Authorization: Basic YWw6cHc=\r\n\r\n"
        )
        .unwrap();
        let head = read_head(&mut c).unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        c.write_all(b"hello").unwrap();
        let mut back = [0u8; 5];
        c.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"hello");
        let record = proxy.record();
        assert_eq!(record.len(), 2);
        assert!(!record[0].allowed && record[1].allowed);
        assert_eq!(record[1].target, echo_addr.to_string());
        assert_eq!(
            record[1].basic_credentials(),
            Some(("al".to_owned(), "pw".to_owned()))
        );
    }
}
