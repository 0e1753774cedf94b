//! `application/x-www-form-urlencoded`, the encoding of Slack's web-call parameters.

/// Parses `a=1&b=two+words` into pairs, percent-decoding keys and values.
pub fn parse(input: &str) -> Vec<(String, String)> {
    input
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Encodes pairs as a form body or query string.
pub fn encode<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_part(k.as_ref()), encode_part(v.as_ref())))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode_part(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let pairs = [("token", "xoxb-1"), ("presence_sub", "a b&c=%")];
        let enc = encode(&pairs);
        assert_eq!(enc, "token=xoxb-1&presence_sub=a+b%26c%3D%25");
        let dec = parse(&enc);
        assert_eq!(dec[1], ("presence_sub".into(), "a b&c=%".into()));
    }

    #[test]
    fn tolerates_bad_escapes() {
        assert_eq!(parse("a=%zz&b=%4")[0].1, "%zz");
        assert_eq!(parse("a=%zz&b=%4")[1].1, "%4");
    }
}
