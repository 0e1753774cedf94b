//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/`) through the same harness
//! as the cargo-fuzz targets, so CI exercises them without a nightly toolchain.
//!
//! The corpus lives in the repository's `fuzz/` directory, outside this crate: in the packaged
//! crate (crates.io) it is absent, and the replay tests say so and pass without replaying.
#![cfg(feature = "fuzzing")]

use std::path::PathBuf;

/// The corpus of `target`, sorted; `None` (with a message) when the directory is not there.
fn corpus(target: &str) -> Option<Vec<(PathBuf, Vec<u8>)>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    if !dir.is_dir() {
        eprintln!(
            "skipped: no fuzz corpus at {} (not part of the packaged crate)",
            dir.display()
        );
        return None;
    }
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let data = std::fs::read(&p).unwrap();
            (p, data)
        })
        .collect();
    files.sort();
    Some(files)
}

#[test]
fn frames_corpus_replays_cleanly() {
    let Some(files) = corpus("frames") else {
        return;
    };
    assert!(files.len() >= 20, "the seed corpus is there");
    for (path, data) in files {
        eprintln!("{}", path.display());
        rtm_proto::fuzzing::frames(&data);
    }
}

#[test]
fn inputs_corpus_replays_cleanly() {
    let Some(files) = corpus("inputs") else {
        return;
    };
    assert!(files.len() >= 6, "the seed corpus is there");
    for (path, data) in files {
        eprintln!("{}", path.display());
        rtm_proto::fuzzing::inputs(&data);
    }
}

#[test]
fn the_harness_catches_what_it_should() {
    // The frames harness compares with serde_json: sanity of the oracle on a few shapes.
    for frame in [
        &b"{}"[..],
        b"[]",
        b"\xff\xfe",
        br#"{"type":"x","reply_to":18446744073709551615}"#,
        br#"{"reply_to":18446744073709551616}"#,
    ] {
        rtm_proto::fuzzing::frames(frame);
    }
    // Empty and tiny scripts are valid scripts.
    for script in [&b""[..], b"\x00", b"\x00\x00\x00\x00"] {
        rtm_proto::fuzzing::inputs(script);
    }
}
