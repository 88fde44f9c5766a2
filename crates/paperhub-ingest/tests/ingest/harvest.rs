//! Harvesting against a loopback server that replays recorded arXiv OAI-PMH pages.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use paperhub_ingest::harvest::{HarvestRequest, Harvester};
use paperhub_ingest::HarvestError;

use crate::helpers::shared;

/// One scripted answer: status, headers, body.
type Reply = (u16, Vec<(&'static str, String)>, Vec<u8>);

/// Serves `script(url, times this url was asked before)` on a loopback port; returns the base
/// URL and the list of URLs requested.
fn serve(
    script: impl Fn(&str, usize) -> Reply + Send + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let url = request.url().to_owned();
            let count = {
                let mut log = log.lock().unwrap();
                let count = log.iter().filter(|u| **u == url).count();
                log.push(url.clone());
                count
            };
            let (status, headers, body) = script(&url, count);
            let mut response = tiny_http::Response::from_data(body).with_status_code(status);
            for (name, value) in headers {
                response.add_header(tiny_http::Header::from_bytes(name, value).unwrap());
            }
            let _ = request.respond(response);
        }
    });
    (format!("http://127.0.0.1:{port}/oai2"), seen)
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(shared(&format!("data/arxiv/oai/{name}"))).unwrap()
}

/// The last page: the 6-record response with its token emptied.
fn last_page() -> Vec<u8> {
    String::from_utf8(sample("mikesaelim_ListRecordsResponse.xml"))
        .unwrap()
        .replace(
            r#"<resumptionToken cursor="0" completeListSize="58011">726959|1001</resumptionToken>"#,
            r#"<resumptionToken completeListSize="58011" cursor="1001"/>"#,
        )
        .into_bytes()
}

fn arxiv_script(url: &str, count: usize) -> Reply {
    if url.contains("metadataPrefix=arXivRaw") {
        (200, vec![], sample("litpuvn_ListRecords_arXivRaw.xml"))
    } else if url.contains("resumptionToken=1403493%7C1001") {
        if count == 0 {
            (503, vec![("Retry-After", "1".to_owned())], b"busy".to_vec())
        } else {
            (200, vec![], last_page())
        }
    } else {
        (404, vec![], b"not found".to_vec())
    }
}

fn recording_harvester() -> (Harvester, Arc<Mutex<Vec<Duration>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let log = waits.clone();
    let harvester = Harvester::new().with_sleep(move |d| log.lock().unwrap().push(d));
    (harvester, waits)
}

#[test]
fn a_harvest_follows_tokens_waits_out_a_503_and_ends_on_an_empty_token() {
    let (base, seen) = serve(arxiv_script);
    let (harvester, waits) = recording_harvester();
    let mut request = HarvestRequest::new(&base);
    request.from = chrono::NaiveDate::from_ymd_opt(2016, 10, 20);
    let mut pages = Vec::new();
    let summary = harvester
        .harvest(&request, None, |page, next| {
            pages.push((page.records.len(), next.map(str::to_owned)));
            Ok(())
        })
        .unwrap();
    assert_eq!(summary.records, 393);
    assert_eq!(
        (summary.pages, summary.retries, summary.rejected),
        (2, 1, 0)
    );
    assert_eq!(summary.complete_list_size, Some(58011));
    assert_eq!(pages, [(387, Some("1403493|1001".to_owned())), (6, None)]);
    assert_eq!(*waits.lock().unwrap(), [Duration::from_secs(1)]);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen[0],
        "/oai2?verb=ListRecords&metadataPrefix=arXivRaw&from=2016-10-20"
    );
    assert_eq!(
        seen[1],
        "/oai2?verb=ListRecords&resumptionToken=1403493%7C1001"
    );
    assert_eq!(seen[1], seen[2], "the same request is retried");
}

#[test]
fn resuming_from_a_token_starts_there() {
    let (base, seen) = serve(arxiv_script);
    let (harvester, _) = recording_harvester();
    let summary = harvester
        .harvest(&HarvestRequest::new(&base), Some("1403493|1001"), |_, _| {
            Ok(())
        })
        .unwrap();
    assert_eq!(summary.records, 6);
    assert!(seen.lock().unwrap()[0].contains("resumptionToken=1403493%7C1001"));
}

#[test]
fn a_bad_resumption_token_gets_its_own_error() {
    let (base, _) = serve(|_, _| {
        (
            200,
            vec![],
            sample("mikesaelim_ErrorResponseBadResumptionToken.xml"),
        )
    });
    let (harvester, _) = recording_harvester();
    let err = harvester
        .harvest(&HarvestRequest::new(&base), Some("3"), |_, _| Ok(()))
        .unwrap_err();
    match &err {
        HarvestError::BadResumptionToken { url, token, .. } => {
            assert_eq!(token, "3");
            assert!(url.ends_with("resumptionToken=3"));
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn no_records_match_is_an_empty_harvest_not_a_failure() {
    let (base, _) = serve(|_, _| {
        (
            200,
            vec![],
            sample("mikesaelim_ErrorResponseNoRecordsMatch.xml"),
        )
    });
    let (harvester, _) = recording_harvester();
    let summary = harvester
        .harvest(&HarvestRequest::new(&base), None, |_, _| Ok(()))
        .unwrap();
    assert_eq!((summary.pages, summary.records), (1, 0));
}

#[test]
fn other_oai_errors_and_http_errors_name_the_url() {
    let (base, _) = serve(|_, _| {
        (
            200,
            vec![],
            sample("mikesaelim_ErrorResponseBadArgument.xml"),
        )
    });
    let (harvester, _) = recording_harvester();
    let err = harvester
        .harvest(&HarvestRequest::new(&base), None, |_, _| Ok(()))
        .unwrap_err();
    assert!(
        matches!(&err, HarvestError::Oai { code, .. } if code == "badArgument"),
        "{err}"
    );
    assert!(err.to_string().contains(&base), "{err}");

    let (base, _) = serve(|_, _| (500, vec![], b"oops".to_vec()));
    let err = harvester
        .harvest(&HarvestRequest::new(&base), None, |_, _| Ok(()))
        .unwrap_err();
    assert!(
        matches!(err, HarvestError::Status { status: 500, .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&base));
}

#[test]
fn a_503_that_never_ends_gives_up_after_the_retries() {
    let (base, seen) = serve(|_, _| (503, vec![("Retry-After", "7200".to_owned())], Vec::new()));
    let (mut harvester, waits) = recording_harvester();
    harvester.max_retries = 2;
    harvester.max_retry_after = Duration::from_secs(60);
    let err = harvester
        .harvest(&HarvestRequest::new(&base), None, |_, _| Ok(()))
        .unwrap_err();
    assert!(
        matches!(err, HarvestError::Status { status: 503, .. }),
        "{err}"
    );
    assert_eq!(
        *waits.lock().unwrap(),
        [Duration::from_secs(60); 2],
        "waits are capped"
    );
    assert_eq!(seen.lock().unwrap().len(), 3);
}

#[test]
fn a_failing_callback_stops_the_harvest() {
    let (base, seen) = serve(arxiv_script);
    let (harvester, _) = recording_harvester();
    let err = harvester
        .harvest(&HarvestRequest::new(&base), None, |_, _| {
            Err("disk full".into())
        })
        .unwrap_err();
    assert!(matches!(err, HarvestError::Callback(_)), "{err}");
    assert_eq!(seen.lock().unwrap().len(), 1);
}
