//! The web hub end to end: the real server on a loopback port over a real SQLite store and
//! tantivy index, asked with a real HTTP client (and, in `browser`, a real Chromium).

mod alerts;
mod api;
mod browser;
mod community;
mod feeds;
mod helpers;
mod library;
mod library_pages;
mod operations;
mod pages;
mod security;
mod sessions;
mod submissions;
