//! A real SMTP server on loopback for the mail tests: Python's aiosmtpd (from PyPI) running
//! `smtp/sink.py`, which keeps every message it takes as a file, and can be told to answer
//! 421 or drop connections for a while ([`SmtpSink::set_mode`]).
//!
//! The Python with aiosmtpd is `PAPERHUB_TEST_PYTHON` (scripts/test makes a virtual
//! environment and sets it), else `python3`. Without aiosmtpd a test is skipped with a line
//! saying so, except under CI, where it fails.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// The SMTP server, stopped on drop.
pub struct SmtpSink {
    child: Child,
    _stdin: ChildStdin,
    port: u16,
    root: PathBuf,
}

/// A message the server took, parsed.
#[derive(Debug, Clone)]
pub struct Received {
    /// The message as it arrived.
    pub raw: String,
    /// The envelope's recipients.
    pub envelope_to: String,
    /// Its headers, in order.
    pub headers: Vec<(String, String)>,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part.
    pub html: String,
}

impl Received {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every `http(s)://` link of the text part.
    pub fn links(&self) -> Vec<String> {
        self.text
            .split_whitespace()
            .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
            .map(|w| w.trim_end_matches(['.', ',', ')']).to_owned())
            .collect()
    }
}

fn python() -> String {
    std::env::var("PAPERHUB_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

impl SmtpSink {
    /// Starts the server keeping messages in `root/inbox`; `None` (after saying why) when
    /// aiosmtpd is not installed, outside CI.
    pub fn start(root: &Path) -> Option<Self> {
        let python = python();
        let has_aiosmtpd = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !has_aiosmtpd {
            let why = format!(
                "{python} has no aiosmtpd (pip install aiosmtpd, or set PAPERHUB_TEST_PYTHON)"
            );
            if std::env::var_os("CI").is_some() {
                panic!("CI runs the mail tests against a real SMTP server: {why}");
            }
            eprintln!("skipped: {why}");
            return None;
        }
        let inbox = root.join("inbox");
        std::fs::create_dir_all(&inbox).expect("making the inbox");
        let script = crate::workspace_root().join("crates/paperhub-test-support/smtp/sink.py");
        let mut child = Command::new(&python)
            .arg(script)
            .arg(&inbox)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting the SMTP server");
        let stdin = child.stdin.take().expect("piped stdin");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("reading the SMTP server's port");
        let port = line
            .trim()
            .strip_prefix("ready ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the SMTP server said {line:?}, not `ready PORT`"));
        Some(SmtpSink {
            child,
            _stdin: stdin,
            port,
            root: root.to_owned(),
        })
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// How the server behaves from now on: `ok`, `421` or `drop` (see `smtp/sink.py`).
    pub fn set_mode(&self, mode: &str) {
        std::fs::write(self.root.join("mode"), mode).expect("writing the SMTP server's mode");
    }

    /// Every message taken so far, in the order taken.
    pub fn received(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.root.join("inbox"))
            .expect("reading the inbox")
            .map(|e| e.expect("an inbox entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| parse(&std::fs::read(p).expect("reading a mail")))
            .collect()
    }
}

/// A received message, parsed by mailparse.
pub fn parse(raw: &[u8]) -> Received {
    let mail = mailparse::parse_mail(raw).expect("a received mail parses");
    let headers: Vec<(String, String)> = mail
        .headers
        .iter()
        .map(|h| (h.get_key(), h.get_value()))
        .collect();
    let mut text = String::new();
    let mut html = String::new();
    let mut parts = vec![&mail];
    while let Some(part) = parts.pop() {
        match part.ctype.mimetype.as_str() {
            "text/plain" => text = part.get_body().expect("a text part decodes"),
            "text/html" => html = part.get_body().expect("an html part decodes"),
            _ => parts.extend(part.subparts.iter()),
        }
    }
    let envelope_to = headers
        .iter()
        .find(|(n, _)| n == "X-Envelope-To")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    Received {
        raw: String::from_utf8_lossy(raw).into_owned(),
        envelope_to,
        headers,
        text,
        html,
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
