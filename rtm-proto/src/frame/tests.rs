use proptest::prelude::*;

use super::scan;
use super::visitor::peek as peek_serde;

/// The fast scanner either declines or agrees with serde_json, on `text`.
fn agrees(text: &str) -> Result<(), TestCaseError> {
    if let Some(fast) = scan::peek(text) {
        match peek_serde(text) {
            Ok(slow) => prop_assert_eq!(fast, slow, "{:?}", text),
            Err(e) => prop_assert!(
                false,
                "scanner accepted what serde_json refuses ({e}): {text:?}"
            ),
        }
    }
    Ok(())
}

pub(crate) fn ws() -> impl Strategy<Value = String> {
    "[ \t\n\r]{0,2}"
}

/// String contents: plain ASCII, multi-byte UTF-8, every escape, surrogate pairs and a
/// lone surrogate, long runs (the scanner reads 8 bytes at a time).
pub(crate) fn string() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => "[a-zA-Z0-9 _:.<>|]{1,12}",
            1 => "[é日本😀]",
            1 => r#"\\["\\/bfnrt]"#,
            1 => r"\\u[0-9a-fA-F]{4}",
            1 => Just(r"\ud83d\ude00".to_owned()),
            1 => Just(r"\ud800".to_owned()),
        ],
        0..6,
    )
    .prop_map(|parts| format!("\"{}\"", parts.concat()))
}

/// Numbers of every form JSON has, and big ones.
pub(crate) fn number() -> impl Strategy<Value = String> {
    r"-?(0|[1-9][0-9]{0,22})(\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?"
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r#""type""#.to_owned()),
        Just(r#""subtype""#.to_owned()),
        Just(r#""reply_to""#.to_owned()),
        Just(r#""t\u0079pe""#.to_owned()),
        Just(r#""""#.to_owned()),
        string(),
    ]
}

pub(crate) fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        string(),
        number(),
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("null".to_owned()),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec((ws(), inner.clone(), ws()), 0..6).prop_map(|items| {
                let items: Vec<String> = items.into_iter().map(|(a, v, b)| a + &v + &b).collect();
                format!("[{}]", items.join(","))
            }),
            prop::collection::vec((ws(), key(), ws(), inner, ws()), 0..6).prop_map(|items| {
                let items: Vec<String> = items
                    .into_iter()
                    .map(|(a, k, b, v, c)| format!("{a}{k}{b}:{v}{c}"))
                    .collect();
                format!("{{{}}}", items.join(","))
            }),
        ]
    })
}

/// Values the core reads, as Slack sends them (the scanner must take these itself).
fn plain_field() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        "[a-z_]{0,16}".prop_map(|v| ("type".to_owned(), format!("\"{v}\""))),
        "[a-z_]{0,16}".prop_map(|v| ("subtype".to_owned(), format!("\"{v}\""))),
        (0..u64::MAX / 2).prop_map(|v| ("reply_to".to_owned(), v.to_string())),
    ]
}

/// A frame: a top-level object whose members are the keys the core reads, with values of
/// any type, and other keys with any values.
fn frame() -> impl Strategy<Value = String> {
    (
        ws(),
        prop::collection::vec((ws(), key(), ws(), value(), ws()), 0..8),
        ws(),
    )
        .prop_map(|(lead, members, trail)| {
            let members: Vec<String> = members
                .into_iter()
                .map(|(a, k, b, v, c)| format!("{a}{k}{b}:{v}{c}"))
                .collect();
            format!("{lead}{{{}}}{trail}", members.join(","))
        })
}

/// A frame whose read keys hold plain values (other members anything).
fn slack_frame() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(("\"[a-z_]{0,10}\"", value()), 0..6),
        prop::collection::vec(plain_field(), 0..4),
        ws(),
    )
        .prop_map(|(others, fields, pad)| {
            let mut members: Vec<String> = Vec::new();
            for ((k, v), (fk, fv)) in others.iter().zip(fields.iter()) {
                // Other keys never spell a read one here.
                if !matches!(&k[1..k.len() - 1], "type" | "subtype" | "reply_to") {
                    members.push(format!("{k}:{pad}{v}"));
                }
                members.push(format!("\"{fk}\"{pad}:{fv}"));
            }
            format!("{{{pad}{}}}", members.join(&format!(",{pad}")))
        })
}

/// An edit that breaks a frame, or not: delete, duplicate or replace a run of characters,
/// truncate.
#[derive(Debug, Clone)]
pub(crate) struct Edit {
    at: usize,
    len: usize,
    with: String,
    how: u8,
}

impl Edit {
    pub(crate) fn apply(&self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let at = self.at % (chars.len() + 1);
        let end = (at + self.len).min(chars.len());
        let (head, rest) = chars.split_at(at);
        let (mid, tail) = rest.split_at(end - at);
        let s = |c: &[char]| c.iter().collect::<String>();
        match self.how % 4 {
            0 => s(head) + &s(tail),
            1 => s(head) + &s(mid) + &s(mid) + &s(tail),
            2 => s(head) + &self.with + &s(tail),
            _ => s(head),
        }
    }
}

pub(crate) fn edit() -> impl Strategy<Value = Edit> {
    (
        0usize..400,
        0usize..4,
        prop_oneof![
            Just(String::new()),
            "[{}\\[\\],:\"\\\\ ]",
            "[a-z0-9.eE+-]",
            "[\u{0}-\u{1f}]",
            Just("\\u".to_owned()),
            Just("é".to_owned()),
        ],
        0u8..4,
    )
        .prop_map(|(at, len, with, how)| Edit { at, len, with, how })
}

/// A fixed seed unless RTM_PROPTEST_SEED says otherwise (as in
/// tests/proptest_interleavings.rs).
pub(crate) fn proptest_config(seed: u64) -> ProptestConfig {
    ProptestConfig {
        rng_seed: match std::env::var("RTM_PROPTEST_SEED") {
            Ok(v) if v == "random" => proptest::test_runner::RngSeed::Random,
            Ok(v) => proptest::test_runner::RngSeed::Fixed(v.parse().expect("a u64 or `random`")),
            Err(_) => proptest::test_runner::RngSeed::Fixed(seed),
        },
        ..ProptestConfig::with_cases(2048)
    }
}

proptest! {
    #![proptest_config(proptest_config(0x0072_746d))]

    #[test]
    fn scanner_agrees_with_serde_on_objects(text in frame()) {
        agrees(&text)?;
    }

    #[test]
    fn scanner_agrees_with_serde_on_any_value(text in value()) {
        agrees(&text)?;
    }

    #[test]
    fn scanner_takes_slack_frames_and_agrees(text in slack_frame()) {
        prop_assert!(scan::peek(&text).is_some(), "declined: {:?}", text);
        agrees(&text)?;
    }

    #[test]
    fn scanner_never_accepts_a_broken_frame(text in frame(), edit in edit()) {
        agrees(&edit.apply(&text))?;
    }
}

#[test]
fn scanner_edge_cases() {
    let declined = [
        "",
        " ",
        "[]",
        r#"["type"]"#,
        "{",
        "{}x",
        "{} {}",
        r#"{"a":1,}"#,
        r#"{"a":[1,]}"#,
        r#"{"a":01}"#,
        r#"{"a":1.}"#,
        r#"{"a":.5}"#,
        r#"{"a":1e}"#,
        r#"{"a":-}"#,
        r#"{"a":tru}"#,
        r#"{"a":"\x"}"#,
        r#"{"a":"\u12g4"}"#,
        "{\"a\":\"\u{1}\"}",
        r#"{"a" 1}"#,
        r#"{"a":1 "b":2}"#,
        r#"{"a":{"b"}}"#,
        r#"{"a":[}"#,
        r#"{"a":{]}"#,
        // Unusual reads: serde_json answers these.
        r#"{"t\u0079pe":"x"}"#,
        r#"{"type":"a\/b"}"#,
        r#"{"type":1}"#,
        r#"{"reply_to":"1"}"#,
        r#"{"reply_to":1.0}"#,
        r#"{"reply_to":1e2}"#,
        r#"{"reply_to":-1}"#,
        r#"{"reply_to":012}"#,
        r#"{"reply_to":99999999999999999999}"#,
    ];
    for text in declined {
        assert_eq!(scan::peek(text), None, "{text:?}");
    }
    let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
    assert_eq!(scan::peek(&deep), None);
    assert!(
        peek_serde(&deep).is_ok(),
        "serde_json does not limit skipped nesting"
    );
    let deep = format!("{{\"a\":{}{}}}", "[".repeat(120), "]".repeat(120));
    assert!(scan::peek(&deep).is_some());

    let taken = [
        "{}",
        " \n{ }\t\r\n",
        r#"{"type":"message","subtype":"bot_message","reply_to":7}"#,
        r#"{"type":"a","type":"b"}"#,
        r#"{"reply_to":0}"#,
        r#"{"reply_to":9999999999999999999}"#,
        r#"{"text":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00\udc00 日本","type":"m"}"#,
        r#"{"a":[1,-0,0.5,-1.25e+10,3E-2,1e400,123456789012345678901234567890],"b":{"c":[{},[],null,true,false]}}"#,
    ];
    for text in taken {
        let fast = scan::peek(text);
        assert!(fast.is_some(), "{text:?}");
        assert_eq!(fast, Some(peek_serde(text).unwrap()), "{text:?}");
    }
}
