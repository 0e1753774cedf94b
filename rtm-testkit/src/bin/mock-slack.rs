//! Standalone mock Slack: prints `API_URL=…` on the first stdout line, then serves until
//! `POST /admin/shutdown` (or a signal). See README.md for the admin interface.
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use rtm_testkit::{MockSlack, ServerOptions, Workspace};

#[derive(Debug, Parser)]
#[command(
    name = "mock-slack",
    about = "A mock Slack RTM server for testing clients"
)]
struct Args {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Serve https/wss with a fresh self-signed certificate.
    #[arg(long)]
    tls: bool,
    /// Accepted token (repeatable); default `xoxb-test-token`.
    #[arg(long = "token")]
    tokens: Vec<String>,
    /// With --tls, also write the certificate (PEM) to this file.
    #[arg(long)]
    cert_out: Option<PathBuf>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut workspace = Workspace::default();
    if !args.tokens.is_empty() {
        workspace = workspace.with_tokens(args.tokens);
    }
    let opts = ServerOptions::default()
        .workspace(workspace)
        .tls(args.tls)
        .port(args.port);
    let slack = match MockSlack::start(opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mock-slack: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let (Some(path), Some(cert)) = (&args.cert_out, slack.tls_cert())
        && let Err(e) = std::fs::write(path, cert.pem())
    {
        eprintln!("mock-slack: cannot write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    let mut out = std::io::stdout().lock();
    // The first line is the contract with launchers; flush so they see it at once.
    let _ = writeln!(out, "API_URL={}", slack.api_url());
    let _ = writeln!(out, "ADMIN_URL={}", slack.admin_url());
    let _ = out.flush();
    drop(out);
    futures::executor::block_on(slack.shutdown_requested());
    slack.shutdown();
    ExitCode::SUCCESS
}
