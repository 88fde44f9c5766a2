//! The one assembly of the app, as a library: the `paperhub` command, its benchmarks
//! (`paperhub-bench`) and the tests of the crates above the app layer (the web hub's) all open
//! the hub through it.
//!
//! - [`config`]: the one settings struct, read the same way for everyone (defaults, the
//!   `--config` file, `PAPERHUB_…` variables, flags).
//! - [`assembly`]: the hub from those settings: which database, the data directory's layout,
//!   the keyword and vector indexes, the model.
//! - [`progress`]: how long work shows its progress (a bar on a terminal, plain lines otherwise).

pub mod assembly;
pub mod config;
pub mod progress;
