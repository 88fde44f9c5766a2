//! End-to-end tests of the `paperhub` binary on the real samples in `../shared`.

mod helpers;
mod ingest;
mod kill;
mod mail;
mod nodes;
mod search;
mod semantic;
mod serve;
mod users;
