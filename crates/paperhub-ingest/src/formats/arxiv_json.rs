//! The arXiv metadata snapshot (Kaggle `arxiv-metadata-oai-snapshot.json`): one JSON object
//! per line, read line by line so the 4 GB file streams in flat memory.

use paperhub_core::{ArxivId, PaperMeta, SourceFormat};
use serde::Deserialize;

use super::lines::json_error;
use super::oai::{day, rfc2822, version_number};
use super::split_authors;
use crate::error::RecordError;

#[derive(Debug, Deserialize)]
struct SnapshotRecord {
    id: Option<String>,
    title: Option<String>,
    authors: Option<String>,
    authors_parsed: Option<Vec<Vec<serde_json::Value>>>,
    #[serde(rename = "abstract")]
    abstract_text: Option<String>,
    categories: Option<String>,
    comments: Option<String>,
    #[serde(rename = "journal-ref")]
    journal_ref: Option<String>,
    doi: Option<String>,
    #[serde(default)]
    versions: Vec<SnapshotVersion>,
    update_date: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SnapshotVersion {
    version: Option<String>,
    created: Option<String>,
}

/// `[last, first, suffix, affiliation…]` → `First Last Suffix` (affiliations dropped).
fn parsed_author(parts: &[serde_json::Value]) -> Option<String> {
    let part = |i: usize| {
        parts
            .get(i)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .unwrap_or("")
    };
    let name: Vec<&str> = [part(1), part(0), part(2)]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    (!name.is_empty()).then(|| name.join(" "))
}

/// Parses one snapshot line.
pub(crate) fn parse_line(
    line: &str,
    origin: &str,
    location: &str,
) -> Result<PaperMeta, RecordError> {
    let record: SnapshotRecord = serde_json::from_str(line)
        .map_err(|e| RecordError::new(origin, location, json_error(&e)))?;
    let id = record.id.as_deref().map(str::trim).unwrap_or_default();
    if id.is_empty() {
        return Err(RecordError::new(
            origin,
            location,
            "field `id` is missing or empty",
        ));
    }
    let last_version = record
        .versions
        .iter()
        .filter_map(|v| v.version.as_deref().and_then(version_number))
        .max();
    let arxiv_id = ArxivId::parse(id)
        .map_err(|e| RecordError::new(origin, location, format!("field `id`: {e}")))?;
    let arxiv_id = if last_version.is_some() {
        arxiv_id.with_version(last_version)
    } else {
        arxiv_id
    };
    let dates: Vec<_> = record
        .versions
        .iter()
        .filter_map(|v| v.created.as_deref().and_then(rfc2822))
        .collect();
    let authors = match &record.authors_parsed {
        Some(parsed) if !parsed.is_empty() => {
            parsed.iter().filter_map(|p| parsed_author(p)).collect()
        }
        _ => record
            .authors
            .as_deref()
            .map(split_authors)
            .unwrap_or_default(),
    };
    let meta = PaperMeta {
        arxiv_id: Some(arxiv_id),
        title: record.title.unwrap_or_default(),
        abstract_text: record.abstract_text.unwrap_or_default(),
        authors,
        categories: record
            .categories
            .as_deref()
            .map(super::split_categories)
            .unwrap_or_default(),
        comments: record.comments,
        journal_ref: record.journal_ref,
        doi: record.doi,
        published: dates.first().copied(),
        updated: dates
            .last()
            .copied()
            .or_else(|| record.update_date.as_deref().and_then(day)),
        format: Some(SourceFormat::ArxivJson),
        origin: Some(origin.to_owned()),
        ..PaperMeta::default()
    };
    meta.normalized()
        .map_err(|e| RecordError::invalid(origin, location, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_line_becomes_a_paper_with_versions_and_parsed_authors() {
        let line = r#"{"id":"0704.0001","authors":"C. Bal\\'azs, E. L. Berger","title":"Calculation of\n  prompt diphoton","comments":"37 pages","journal-ref":"Phys.Rev.D76:013009,2007","doi":"10.1103/PhysRevD.76.013009","categories":"hep-ph hep-th","license":null,"abstract":"  A fully differential calculation.\n","versions":[{"version":"v1","created":"Mon, 2 Apr 2007 19:18:42 GMT"},{"version":"v2","created":"Tue, 24 Jul 2007 20:10:27 GMT"}],"update_date":"2008-11-26","authors_parsed":[["Bal\u00e1zs","C.",""],["Berger","E. L.","", "Argonne"]]}"#;
        let p = parse_line(line, "s.jsonl", "line 1").unwrap();
        assert_eq!(p.arxiv_id.unwrap().to_string(), "0704.0001v2");
        assert_eq!(p.authors, ["C. Balázs", "E. L. Berger"]);
        assert_eq!(p.title, "Calculation of prompt diphoton");
        assert_eq!(p.categories, ["hep-ph", "hep-th"]);
        assert_eq!(
            p.published.unwrap().to_rfc3339(),
            "2007-04-02T19:18:42+00:00"
        );
        assert_eq!(p.updated.unwrap().to_rfc3339(), "2007-07-24T20:10:27+00:00");
    }

    #[test]
    fn broken_json_names_the_column() {
        let err = parse_line(r#"{"id" "x"}"#, "data/x.jsonl", "line 17").unwrap_err();
        assert_eq!(
            err.to_string(),
            "data/x.jsonl:line 17: invalid JSON: expected `:` at column 7"
        );
    }
}
