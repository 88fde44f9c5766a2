//! A loopback arXiv API that answers with the recorded responses in
//! `../shared/data/arxiv/atom`, and misbehaves on request.
//!
//! `GET {url}?id_list=ID` answers the recorded response for that id (`arxivpy_id_ID_s0_m100.xml`
//! or `arxivpy2016_id_list_ID.xml`, `/` in old-style ids as `_`; a version asked for that has
//! no recording of its own gets the id's), and for an id with no
//! recording the recorded answer arXiv gives an id it does not have (an empty feed). The same
//! API under another path misbehaves: `/fail/…` answers 503, `/slow/…` waits 30 s before
//! answering, `/malformed/…` answers a feed cut short, `/html/…` an HTML page.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The loopback API; stops with the test process.
pub struct ArxivReplay {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

/// The recorded responses.
fn recordings() -> PathBuf {
    crate::shared("data/arxiv/atom")
}

/// The recorded response for `id` (with its version, else without it, as arXiv answers an
/// id's first version with the recording of that id), or arXiv's answer for an id it does not
/// have.
fn recorded(id: &str) -> Vec<u8> {
    let name = id.replace('/', "_");
    let unversioned = match name.rfind('v') {
        Some(at) if at + 1 < name.len() && name[at + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            &name[..at]
        }
        _ => name.as_str(),
    };
    for file in [
        format!("arxivpy_id_{name}_s0_m100.xml"),
        format!("arxivpy2016_id_list_{name}.xml"),
        format!("arxivpy_id_{unversioned}_s0_m100.xml"),
        "arxivpy_id_0000.0000_s0_m100.xml".to_owned(),
    ] {
        if let Ok(bytes) = std::fs::read(recordings().join(file)) {
            return bytes;
        }
    }
    panic!("no recorded arXiv responses in {}", recordings().display())
}

/// The `id_list` value of a request's URL.
fn id_list(url: &str) -> String {
    url.split_once('?')
        .map(|(_, query)| query)
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("id_list="))
        .unwrap_or_default()
        .replace("%2F", "/")
}

impl ArxivReplay {
    /// Starts serving on a free loopback port.
    pub fn start() -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("a loopback port"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let seen = seen.clone();
                // One thread each: a slow answer holds up no other.
                std::thread::spawn(move || {
                    let url = request.url().to_owned();
                    seen.lock().unwrap().push(url.clone());
                    let (status, body) = if url.starts_with("/fail/") {
                        (503, b"Service Unavailable".to_vec())
                    } else if url.starts_with("/slow/") {
                        std::thread::sleep(Duration::from_secs(30));
                        (200, recorded(&id_list(&url)))
                    } else if url.starts_with("/malformed/") {
                        let whole = recorded(&id_list(&url));
                        (200, whole[..whole.len() / 2].to_vec())
                    } else if url.starts_with("/html/") {
                        (
                            200,
                            b"<!doctype html><html><body>Oops</body></html>".to_vec(),
                        )
                    } else {
                        (200, recorded(&id_list(&url)))
                    };
                    let _ = request
                        .respond(tiny_http::Response::from_data(body).with_status_code(status));
                });
            }
        });
        Self {
            base: format!("http://127.0.0.1:{port}"),
            requests,
        }
    }

    /// The API's base URL (`arxiv.api_url`), answering as arXiv would.
    pub fn url(&self) -> String {
        format!("{}/api/query", self.base)
    }

    /// The base URL of an API that misbehaves: `fail` (503), `slow` (30 s), `malformed` (a
    /// feed cut short) or `html` (an HTML page).
    pub fn misbehaving_url(&self, how: &str) -> String {
        format!("{}/{how}/api/query", self.base)
    }

    /// The paths and queries asked so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}
