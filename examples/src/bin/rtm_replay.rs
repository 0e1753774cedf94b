//! `rtm-replay`: feeds a recording (`rtm-tail --record FILE`, or a client built with
//! `record_to`) through a fresh core on virtual time and checks every step against the
//! recorded digest of its actions.
#![forbid(unsafe_code)]

use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use rtm_proto::recording::{ReplayOptions, replay_with};

#[derive(Debug, Parser)]
#[command(
    name = "rtm-replay",
    about = "Replay a recorded Slack RTM session through the core, offline",
    after_help = "\
Exit status: 0 when every step matches the recording; 1 on a divergence (the first one is \
printed: its input number, time, the input, and both sides' actions); 2 when the file cannot \
be read as a recording (the line and why: truncated, not JSON, unknown version, ...).

A recording is written by `rtm-tail --record FILE` or `ClientBuilder::record_to(..)`: JSON \
lines, a header (library version, configuration, seed) then each input fed to the core with \
its time and a digest of the actions. It holds no token or proxy credential, but it does hold \
message contents: treat it as sensitive."
)]
struct Args {
    /// The recording (JSON lines).
    file: PathBuf,
    /// Also print a readable timeline: state changes, sends and how each settled,
    /// reconnects and their reasons, lifecycle events.
    #[arg(long)]
    timeline: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let file = match std::fs::File::open(&args.file) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("rtm-replay: {}: {e}", args.file.display());
            return ExitCode::from(2);
        }
    };
    let options = ReplayOptions {
        timeline: args.timeline,
    };
    let report = match replay_with(BufReader::new(file), options) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("rtm-replay: {}: {e}", args.file.display());
            return ExitCode::from(2);
        }
    };
    for line in &report.timeline {
        println!("{line}");
    }
    match &report.divergence {
        None => {
            println!(
                "{}: {} inputs replayed, every step matches (recorded by {})",
                args.file.display(),
                report.steps,
                report.library
            );
            ExitCode::SUCCESS
        }
        Some(d) => {
            print!("{}: {d}", args.file.display());
            ExitCode::from(1)
        }
    }
}
