//! Standalone mock Slack: prints `API_URL=…` on the first stdout line, then serves until
//! `POST /admin/shutdown` (or a signal). See README.md for the admin interface.
#![forbid(unsafe_code)]

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use std::time::Duration;

use rtm_testkit::{App, ChatConfig, MockSlack, ServerOptions, SocketModeConfig, Workspace};

#[derive(Debug, Parser)]
#[command(
    name = "mock-slack",
    version,
    about = "A mock Slack (RTM and Socket Mode) for testing clients"
)]
struct Args {
    /// Port to listen on (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to listen on, e.g. 0.0.0.0 to be reachable from outside a container (the
    /// URLs printed and handed out then name 127.0.0.1).
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Serve https/wss with a fresh self-signed certificate.
    #[arg(long)]
    tls: bool,
    /// Accepted token (repeatable); default `xoxb-test-token`.
    #[arg(long = "token")]
    tokens: Vec<String>,
    /// With --tls, also write the certificate (PEM) to this file.
    #[arg(long)]
    cert_out: Option<PathBuf>,
    /// App-level token (`xapp-…`) of the Socket Mode app `A0TESTAPP`; default
    /// `xapp-1-A0TESTAPP-1-mock-app-token`.
    #[arg(long)]
    app_token: Option<String>,
    /// Socket Mode: redeliver an envelope not acked within this (ms).
    #[arg(long, default_value_t = 3000)]
    ack_timeout_ms: u64,
    /// Socket Mode: refresh connections after this long (ms); default about 5 hours.
    #[arg(long, default_value_t = 18_060_000)]
    connection_lifetime_ms: u64,
    /// chat.postMessage: no per-channel rate limit (default: burst 3, then 1 per second).
    #[arg(long)]
    no_chat_rate_limit: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        // Colour only on a terminal, never in a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut workspace = Workspace::default();
    if !args.tokens.is_empty() {
        workspace = workspace.with_tokens(args.tokens);
    }
    if let Some(token) = args.app_token {
        let id = rtm_testkit::model::DEFAULT_APP_ID;
        workspace.apps = vec![App::new(id, "testapp", &token)];
    }
    let socket_mode = SocketModeConfig {
        ack_timeout: Duration::from_millis(args.ack_timeout_ms),
        connection_lifetime: Duration::from_millis(args.connection_lifetime_ms),
        ..SocketModeConfig::default()
    };
    let opts = ServerOptions::default()
        .workspace(workspace)
        .tls(args.tls)
        .port(args.port)
        .host(args.host)
        .socket_mode(socket_mode);
    let opts = if args.no_chat_rate_limit {
        opts.chat(ChatConfig::unthrottled())
    } else {
        opts
    };
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
    if let Some(token) = slack.app_token() {
        let _ = writeln!(out, "APP_TOKEN={token}");
    }
    if let Some(token) = slack.bot_token() {
        let _ = writeln!(out, "BOT_TOKEN={token}");
    }
    let _ = out.flush();
    drop(out);
    futures::executor::block_on(slack.shutdown_requested());
    slack.shutdown();
    ExitCode::SUCCESS
}
