//! One module per subcommand.

pub mod compact;
pub mod config;
pub mod copy;
pub mod digest;
pub mod embed;
pub mod harvest;
pub mod ingest;
pub mod model;
pub mod search;
pub mod serve;
pub mod show;
pub mod similar;
pub mod stats;
pub mod subscribers;
pub mod user;
