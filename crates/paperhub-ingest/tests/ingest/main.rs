//! Integration tests: the real sample data in `/work/shared`, bad input, and harvesting
//! against a loopback OAI-PMH server.

mod bad_input;
mod harvest;
mod helpers;
mod samples;
