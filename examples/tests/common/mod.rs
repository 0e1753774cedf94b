//! Running an example binary as a child process, with bounded waits on its output.
//! Included by the example tests with `mod common;`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Generous for a loaded 2-core CI machine; a healthy step takes milliseconds.
pub const STEP: Duration = Duration::from_secs(20);

enum Sender {
    Bounded(mpsc::SyncSender<String>),
    Unbounded(mpsc::Sender<String>),
}

/// A running example. Its stdout is read line by line on a thread, its stderr collected on
/// another; the child is killed if the test ends (or panics) before it exits.
pub struct Program {
    name: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Receiver<String>,
    /// Every stdout line read so far, for assertions and failure messages.
    pub transcript: Vec<String>,
}

impl Program {
    /// Starts `exe` with `args`; `env` is applied on top of an environment without any
    /// `SLACK_*` variable (so a developer's token never leaks into a test).
    pub fn start(name: &'static str, exe: &str, args: &[&str], env: &[(&str, &str)]) -> Program {
        Program::start_buffered(name, exe, args, env, None)
    }

    /// [`start`](Self::start), with at most `lines` stdout lines read ahead of the test
    /// (`None`: unbounded): beyond them the program's stdout blocks, as a slow pipe would.
    pub fn start_buffered(
        name: &'static str,
        exe: &str,
        args: &[&str],
        env: &[(&str, &str)],
        lines: Option<usize>,
    ) -> Program {
        let mut cmd = Command::new(exe);
        cmd.args(args)
            .env_remove("SLACK_TOKEN")
            .env_remove("SLACK_APP_TOKEN")
            .env_remove("SLACK_BOT_TOKEN")
            .env_remove("SLACK_API_URL");
        // Nor a developer's proxy: tests set the proxy variables they test.
        for var in [
            "https_proxy",
            "HTTPS_PROXY",
            "http_proxy",
            "HTTP_PROXY",
            "all_proxy",
            "ALL_PROXY",
            "no_proxy",
            "NO_PROXY",
        ] {
            cmd.env_remove(var);
        }
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("start {name}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = match lines {
            Some(n) => {
                let (tx, rx) = mpsc::sync_channel(n);
                (Sender::Bounded(tx), rx)
            }
            None => {
                let (tx, rx) = mpsc::channel();
                (Sender::Unbounded(tx), rx)
            }
        };
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let sent = match &tx {
                    Sender::Bounded(tx) => tx.send(line).is_ok(),
                    Sender::Unbounded(tx) => tx.send(line).is_ok(),
                };
                if !sent {
                    break;
                }
            }
        });
        let mut err = child.stderr.take().expect("piped stderr");
        let (etx, stderr) = mpsc::channel();
        std::thread::spawn(move || {
            let mut all = String::new();
            let _ = err.read_to_string(&mut all);
            let _ = etx.send(all);
        });
        let stdin = child.stdin.take();
        Program {
            name,
            child,
            stdin,
            lines,
            stderr,
            transcript: Vec::new(),
        }
    }

    /// The process id (to send it a signal).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends the program a signal (`INT`, `TERM`, ...) with `kill`.
    pub fn signal(&mut self, name: &str) {
        let sent = Command::new("kill")
            .args([format!("-{name}"), self.pid().to_string()])
            .status();
        if !sent.as_ref().is_ok_and(|s| s.success()) {
            self.fail(&format!("kill -{name} failed: {sent:?}"));
        }
    }

    /// Writes one line to the program's stdin.
    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("write to {}: {e}", self.name));
    }

    /// Closes the program's stdin (end of input).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The next stdout line, or `None` at end of output; fails after [`STEP`].
    pub fn next_line(&mut self) -> Option<String> {
        match self.lines.recv_timeout(STEP) {
            Ok(line) => {
                self.transcript.push(line.clone());
                Some(line)
            }
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => self.fail("no output line in time"),
        }
    }

    /// The next line satisfying `want`, skipping others; fails after [`STEP`] or at end of
    /// output.
    pub fn expect(&mut self, what: &str, mut want: impl FnMut(&str) -> bool) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.transcript.push(line.clone());
                    if want(&line) {
                        return line;
                    }
                }
                Err(e) => self.fail(&format!("no line {what} ({e:?})")),
            }
        }
    }

    /// Waits for the output to end (the program exited), then for its status and stderr.
    pub fn wait_exit(&mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.transcript.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => self.fail("the program did not exit"),
            }
        }
        // stdout is closed, so the process is exiting: both waits are short.
        let status = self
            .child
            .wait()
            .unwrap_or_else(|e| panic!("wait for {}: {e}", self.name));
        let stderr = self.stderr.recv_timeout(STEP).unwrap_or_default();
        (status, stderr)
    }

    /// Fails the test with the transcript so far.
    pub fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        let stderr = self.stderr.recv_timeout(STEP).unwrap_or_default();
        panic!(
            "{}: {why}\n--- stdout ---\n{}\n--- stderr ---\n{stderr}",
            self.name,
            self.transcript.join("\n")
        );
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        // A test that failed half-way must not leave the program running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
