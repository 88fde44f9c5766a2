use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub use paperhub_test_support::{shared, SEED};

/// A data directory for one test, and the binary pointed at it.
pub struct Hub {
    pub dir: tempfile::TempDir,
    model_dir: Option<PathBuf>,
    database_url: Option<String>,
}

impl Hub {
    pub fn new() -> Self {
        Hub {
            dir: tempfile::tempdir().unwrap(),
            model_dir: None,
            database_url: None,
        }
    }

    /// A node with a data directory of its own on the database at `url`.
    pub fn on_database(url: &str) -> Self {
        Hub {
            database_url: Some(url.to_owned()),
            ..Hub::new()
        }
    }

    /// A hub holding the seed listing's 118 papers, listed on 2025-06-05.
    pub fn seeded() -> Self {
        let hub = Hub::new();
        hub.ok(&[
            "--quiet",
            "ingest",
            path_str(&shared(SEED)),
            "--date",
            "2025-06-05",
        ]);
        hub
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_paperhub"));
        cmd.arg("--data-dir").arg(self.data_dir());
        if let Some(url) = &self.database_url {
            cmd.arg("--database-url").arg(url);
        }
        cmd.env_remove("PAPERHUB_DATABASE_URL");
        // Keyword-only unless a test asks for the model (see `with_model`).
        cmd.env_remove("PAPERHUB_MODEL_DIR");
        if let Some(dir) = &self.model_dir {
            cmd.env("PAPERHUB_MODEL_DIR", dir);
        }
        cmd
    }

    /// The same hub with the real embedding model: `PAPERHUB_MODEL_DIR` if set (scripts/test
    /// sets it), else `target/paperhub-model`, installed with `paperhub model install`.
    pub fn with_model(mut self) -> Self {
        self.model_dir = Some(paperhub_test_support::model_dir());
        self.ok(&["--quiet", "model", "install"]);
        self
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// Runs and expects success, returning stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "paperhub {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(self.ok(&args).trim()).unwrap()
    }

    pub fn papers(&self) -> u64 {
        self.json(&["stats"])["papers"].as_u64().unwrap()
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A `paperhub serve` child and its address.
pub struct Node {
    pub child: Child,
    pub addr: String,
}

impl Node {
    pub fn start(hub: &Hub) -> Node {
        Node::start_with(hub, &[])
    }

    /// A node with these environment variables too.
    pub fn start_with(hub: &Hub, env: &[(&str, &str)]) -> Node {
        let mut child = hub
            .command()
            .args(["serve", "--listen", "127.0.0.1:0"])
            // A thousand voters from one address: the load the rate limits are off for.
            .env("PAPERHUB_LIMITS__ENABLED", "false")
            .envs(env.iter().copied())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap());
        let mut addr = None;
        let mut seen = String::new();
        for line in (&mut lines).lines() {
            let line = line.unwrap();
            seen.push_str(&line);
            seen.push('\n');
            if let Some(rest) = line.split("serving on http://").nth(1) {
                addr = Some(rest.split('/').next().unwrap().to_owned());
                break;
            }
        }
        let addr = addr.unwrap_or_else(|| panic!("serve did not start: {seen}"));
        // Keep draining the logs so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = lines.read_to_string(&mut rest);
        });
        Node { child, addr }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
