//! Progress for long work: a bar on a terminal, plain lines every few seconds otherwise,
//! nothing with `--quiet`.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often plain progress lines are printed when stderr is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(5);

enum Mode {
    Quiet,
    Bar(ProgressBar),
    Lines { last: Mutex<Instant> },
}

/// A progress reporter.
pub struct Progress {
    mode: Mode,
    what: String,
    started: Instant,
}

impl Progress {
    /// A reporter for work described by `what`.
    pub fn new(quiet: bool, what: &str) -> Self {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bar(ProgressBar::with_draw_target(
                None,
                ProgressDrawTarget::stderr(),
            ))
        } else {
            Mode::Lines {
                last: Mutex::new(Instant::now()),
            }
        };
        Self {
            mode,
            what: what.to_owned(),
            started: Instant::now(),
        }
    }

    fn rate(&self, records: u64) -> f64 {
        records as f64 / self.started.elapsed().as_secs_f64().max(1e-3)
    }

    /// Reports progress in bytes of input (`total` known: a bar with ETA) and records so far.
    pub fn bytes(&self, done: u64, total: u64, records: u64) {
        match &self.mode {
            Mode::Quiet => {}
            Mode::Bar(bar) => {
                if bar.length() != Some(total) {
                    bar.set_length(total);
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{msg} [{bar:30}] {bytes}/{total_bytes} ({eta} left)",
                        )
                        .expect("invariant: valid template")
                        .progress_chars("=> "),
                    );
                }
                bar.set_position(done);
                bar.set_message(format!(
                    "{}: {records} records, {:.0}/s",
                    self.what,
                    self.rate(records)
                ));
            }
            Mode::Lines { last } => {
                let mut last = last.lock().expect("invariant: progress mutex not poisoned");
                if last.elapsed() >= LINE_EVERY {
                    *last = Instant::now();
                    let percent = if total > 0 {
                        100.0 * done as f64 / total as f64
                    } else {
                        100.0
                    };
                    eprintln!(
                        "{}: {percent:.1}% of input, {records} records, {:.0} records/s",
                        self.what,
                        self.rate(records)
                    );
                }
            }
        }
    }

    /// Reports progress in records, with a total when known.
    pub fn records(&self, done: u64, total: Option<u64>) {
        match &self.mode {
            Mode::Quiet => {}
            Mode::Bar(bar) => {
                let style = match total {
                    Some(total) => {
                        bar.set_length(total);
                        ProgressStyle::with_template(
                            "{msg} [{bar:30}] {pos}/{len} ({per_sec}, {eta} left)",
                        )
                        .expect("invariant: valid template")
                        .progress_chars("=> ")
                    }
                    // No total: a spinner with the count so far and the time spent.
                    None => {
                        bar.enable_steady_tick(Duration::from_millis(120));
                        ProgressStyle::with_template("{spinner} {msg} {pos} ({elapsed})")
                            .expect("invariant: valid template")
                    }
                };
                bar.set_style(style);
                bar.set_position(done);
                bar.set_message(self.what.clone());
            }
            Mode::Lines { last } => {
                let mut last = last.lock().expect("invariant: progress mutex not poisoned");
                if last.elapsed() >= LINE_EVERY {
                    *last = Instant::now();
                    match total {
                        Some(t) => eprintln!("{}: {done}/{t}", self.what),
                        None => eprintln!("{}: {done}", self.what),
                    }
                }
            }
        }
    }

    /// Shows a spinner for work of unknown length (no counts).
    pub fn spin(&self) {
        if let Mode::Bar(bar) = &self.mode {
            bar.enable_steady_tick(Duration::from_millis(120));
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .expect("invariant: valid template"),
            );
            bar.set_message(self.what.clone());
        }
    }

    /// Prints a line above the bar (a rejected record, say).
    pub fn println(&self, line: &str) {
        match &self.mode {
            Mode::Bar(bar) => bar.suspend(|| eprintln!("{line}")),
            _ => eprintln!("{line}"),
        }
    }

    /// Ends the bar, printing `message` if any (and not quiet).
    pub fn finish(&self, message: Option<String>) {
        if let Mode::Bar(bar) = &self.mode {
            bar.finish_and_clear();
        }
        if let (false, Some(message)) = (matches!(self.mode, Mode::Quiet), message) {
            eprintln!("{message}");
        }
    }
}
