//! The envelope scanner against the serde reader: it declines or agrees, and takes the
//! envelopes Slack sends.

use proptest::prelude::*;

use super::frame::{Frame, read, read_serde};
use super::scan;
use crate::frame::tests::{edit, proptest_config, string, value, ws};
use crate::ids::ConnId;

/// The scanner either declines `text` or reads the envelope serde reads.
fn agrees(text: &str) -> Result<(), TestCaseError> {
    if scan::envelope(text).is_some() {
        let fast = read(ConnId(1), text.to_owned());
        let slow = read_serde(ConnId(1), text);
        prop_assert!(
            matches!(&slow, Ok(Frame::Envelope(_))),
            "scanner took what serde reads as {slow:?}: {text:?}"
        );
        prop_assert_eq!(fast, slow, "{:?}", text);
    }
    Ok(())
}

/// Members from `parts`, joined as an object with whitespace around them.
fn object(members: Vec<(String, String)>, pad: &str) -> String {
    let items: Vec<String> = members
        .into_iter()
        .map(|(k, v)| format!("{pad}{k}{pad}:{pad}{v}{pad}"))
        .collect();
    format!("{{{}}}", items.join(","))
}

/// A value of a read key: as Slack sends it mostly, sometimes anything.
fn read_value(plain: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    prop_oneof![6 => plain, 1 => Just("null".to_owned()), 1 => value(), 1 => string()]
}

fn key(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(names).prop_map(|k| format!("\"{k}\"")),
        1 => Just(r#""t\u0079pe""#.to_owned()),
        1 => "\"[a-z_]{0,8}\"",
    ]
}

fn event() -> impl Strategy<Value = String> {
    let member = (key(&["type", "subtype", "text", "user"]), ws()).prop_flat_map(|(k, pad)| {
        let v = match k.as_str() {
            "\"type\"" | "\"subtype\"" => read_value("\"[a-z_]{1,12}\"").boxed(),
            _ => value().boxed(),
        };
        (Just(k), v, Just(pad))
    });
    prop_oneof![
        6 => prop::collection::vec(member, 0..5)
            .prop_map(|m| object(m.into_iter().map(|(k, v, _)| (k, v)).collect(), "")),
        1 => value(),
    ]
}

fn payload() -> impl Strategy<Value = String> {
    let member = key(&["event_id", "event", "team_id", "type"]).prop_flat_map(|k| {
        let v = match k.as_str() {
            "\"event_id\"" => read_value("\"Ev[A-Z0-9]{1,10}\"").boxed(),
            "\"event\"" => event().boxed(),
            _ => value().boxed(),
        };
        (Just(k), v)
    });
    prop_oneof![
        6 => (prop::collection::vec(member, 0..5), ws()).prop_map(|(m, pad)| object(m, &pad)),
        1 => value(),
    ]
}

/// An envelope's frame: the keys the client reads, in any order, repeated at times, with
/// values as Slack sends them or of any other shape, among other members.
fn envelope() -> impl Strategy<Value = String> {
    let names = &[
        "type",
        "envelope_id",
        "payload",
        "retry_attempt",
        "retry_reason",
        "accepts_response_payload",
        "x",
    ];
    let member = key(names).prop_flat_map(|k| {
        let v = match k.as_str() {
            "\"type\"" => read_value(
                prop::sample::select(
                    &[
                        "\"events_api\"",
                        "\"slash_commands\"",
                        "\"interactive\"",
                        "\"hello\"",
                        "\"mystery\"",
                    ][..],
                )
                .prop_map(str::to_owned),
            )
            .boxed(),
            "\"envelope_id\"" => read_value("\"[a-f0-9-]{0,12}\"").boxed(),
            "\"payload\"" => payload().boxed(),
            "\"retry_attempt\"" => read_value(prop_oneof![
                (0u64..5).prop_map(|n| n.to_string()),
                Just("4294967296".to_owned()),
                Just("1.0".to_owned()),
            ])
            .boxed(),
            "\"retry_reason\"" => read_value("\"[a-z_]{0,10}\"").boxed(),
            "\"accepts_response_payload\"" => read_value(prop_oneof![
                Just("true".to_owned()),
                Just("false".to_owned())
            ])
            .boxed(),
            _ => value().boxed(),
        };
        (Just(k), v)
    });
    (ws(), prop::collection::vec(member, 0..9), ws(), ws())
        .prop_map(|(lead, m, pad, trail)| format!("{lead}{}{trail}", object(m, &pad)))
}

/// An `events_api` envelope as Slack sends it: the scanner must take it.
fn slack_envelope() -> impl Strategy<Value = String> {
    (
        "[a-f0-9-]{8,36}",
        0u32..4,
        prop::option::of("[a-z_]{1,12}"),
        string(),
        any::<bool>(),
    )
        .prop_map(|(id, attempt, subtype, text, accepts)| {
            let subtype = subtype.map_or(String::new(), |s| format!(r#","subtype":"{s}""#));
            format!(
                r#"{{"envelope_id":"{id}","payload":{{"token":"t","team_id":"T1","event":{{"type":"message"{subtype},"text":{text},"ts":"1.2"}},"type":"event_callback","event_id":"Ev{attempt}","event_time":1}},"type":"events_api","accepts_response_payload":{accepts},"retry_attempt":{attempt},"retry_reason":"timeout"}}"#
            )
        })
}

proptest! {
    #![proptest_config(proptest_config(0x0073_6d73))]

    #[test]
    fn scanner_agrees_with_serde_on_envelopes(text in envelope()) {
        agrees(&text)?;
    }

    #[test]
    fn scanner_takes_slack_envelopes(text in slack_envelope()) {
        prop_assert!(scan::envelope(&text).is_some(), "declined: {:?}", text);
        agrees(&text)?;
    }

    #[test]
    fn scanner_never_accepts_a_broken_envelope(text in envelope(), edit in edit()) {
        agrees(&edit.apply(&text))?;
    }
}

#[test]
fn scanner_declines_what_serde_must_answer() {
    let declined = [
        // Not an envelope, or one that is an error.
        r#"{"type":"hello"}"#,
        r#"{"type":"disconnect","reason":"warning"}"#,
        r#"{"type":"events_api","payload":{}}"#,
        r#"{"envelope_id":"","type":"events_api","payload":{}}"#,
        r#"{"envelope_id":"1","payload":{}}"#,
        // Shapes the serde reader reads its own way.
        r#"{"envelope_id":"1","type":"x"}"#,
        r#"{"envelope_id":"1","envelope_id":"2","type":"x","payload":{}}"#,
        r#"{"envelope_id":"a\"b","type":"x","payload":{}}"#,
        r#"{"envelope_id":"1","t\u0079pe":"x","payload":{}}"#,
        r#"{"envelope_id":"1","type":"x","payload":{"event":"x"}}"#,
        r#"{"envelope_id":"1","type":"x","payload":{"event":{"type":1}}}"#,
        r#"{"envelope_id":"1","type":"x","payload":{"event_id":7}}"#,
        r#"{"envelope_id":"1","type":"x","payload":{},"retry_attempt":-1}"#,
        r#"{"envelope_id":"1","type":"x","payload":{},"retry_attempt":4294967296}"#,
        r#"{"envelope_id":"1","type":"x","payload":{},"accepts_response_payload":"yes"}"#,
        r#"{"envelope_id":"1","type":"x","payload":[]}"#,
        r#"{"envelope_id":"1","type":"x","payload":{}} x"#,
    ];
    for text in declined {
        assert_eq!(scan::envelope(text), None, "{text:?}");
    }
    let deep = format!(
        r#"{{"envelope_id":"1","type":"x","payload":{{"a":{}{}}}}}"#,
        "[".repeat(120),
        "]".repeat(120)
    );
    assert_eq!(scan::envelope(&deep), None);
    assert!(matches!(
        read(ConnId(1), deep),
        Ok(Frame::Envelope(e)) if e.envelope_id() == "1"
    ));
}

#[test]
fn a_scanned_envelope_is_spans_of_its_frame() {
    let text = r#" {"envelope_id":"e1","type":"events_api","retry_attempt":null,"retry_reason":null,"accepts_response_payload":null,"payload": {"event_id":"Ev1","event":{"type":"message","subtype":null}} } "#;
    let s = scan::envelope(text).expect("taken");
    assert_eq!(
        (s.kind.get(text), s.envelope_id.get(text)),
        ("events_api", "e1")
    );
    assert_eq!((s.retry_attempt, s.retry_reason), (0, None));
    assert!(!s.accepts_response_payload);
    assert_eq!(
        s.payload.get(text),
        r#"{"event_id":"Ev1","event":{"type":"message","subtype":null}}"#
    );
    assert_eq!(
        s.event_id.map(|f| f.get(text).to_owned()).as_deref(),
        Some("Ev1")
    );
    assert!(matches!(&s.inner, Some((t, None)) if t.get(text) == "message"));
}
