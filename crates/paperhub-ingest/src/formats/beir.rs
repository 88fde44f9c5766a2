//! BEIR corpora (`corpus.jsonl`: one `{"_id", "title", "text"}` object per line).
//!
//! Documents are identified by `_id` within `beir:<directory name>` (e.g. `beir:scifact`), so
//! two corpora never collide. A document without title gets the first sentence of its text
//! instead of being rejected: some BEIR corpora leave titles empty.

use paperhub_core::{PaperMeta, SourceFormat};
use serde::Deserialize;

use super::lines::json_error;
use crate::error::RecordError;

/// Longest title made from a document's first sentence, in characters.
const DERIVED_TITLE_CHARS: usize = 200;

#[derive(Debug, Deserialize)]
struct Document {
    #[serde(rename = "_id")]
    id: Option<serde_json::Value>,
    title: Option<String>,
    text: Option<String>,
}

/// The namespace for a corpus file: `beir:` and the name of the directory holding it.
pub(crate) fn namespace(path: &std::path::Path) -> String {
    let dir = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "corpus".to_owned());
    format!("beir:{dir}")
}

/// The first sentence of `text`, at most [`DERIVED_TITLE_CHARS`] characters.
fn first_sentence(text: &str) -> String {
    let text = text.trim();
    let end = text.find(". ").map(|i| i + 1).unwrap_or(text.len());
    let sentence = &text[..end];
    match sentence.char_indices().nth(DERIVED_TITLE_CHARS) {
        Some((cut, _)) => format!("{}…", sentence[..cut].trim_end()),
        None => sentence.to_owned(),
    }
}

/// Parses one corpus line.
pub(crate) fn parse_line(
    line: &str,
    origin: &str,
    location: &str,
    namespace: &str,
) -> Result<PaperMeta, RecordError> {
    let doc: Document = serde_json::from_str(line)
        .map_err(|e| RecordError::new(origin, location, json_error(&e)))?;
    let id = match doc.id {
        Some(serde_json::Value::String(s)) => s,
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => {
            return Err(RecordError::new(
                origin,
                location,
                "field `_id` is missing or empty",
            ))
        }
    };
    let text = doc.text.unwrap_or_default();
    let title = match doc.title {
        Some(t) if !t.trim().is_empty() => t,
        _ => first_sentence(&text),
    };
    let meta = PaperMeta {
        source_id: Some(id),
        source_namespace: Some(namespace.to_owned()),
        title,
        abstract_text: text,
        format: Some(SourceFormat::Beir),
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
    fn a_document_without_title_is_titled_by_its_first_sentence() {
        let line = r#"{"_id": 42, "title": "", "text": "Cells divide. Then they grow."}"#;
        let p = parse_line(line, "c.jsonl", "line 1", "beir:x").unwrap();
        assert_eq!(p.title, "Cells divide.");
        assert_eq!(p.source_id.as_deref(), Some("42"));
        assert_eq!(p.source_namespace.as_deref(), Some("beir:x"));
        let long = format!(
            r#"{{"_id": "1", "title": " ", "text": "{}"}}"#,
            "word ".repeat(100)
        );
        let p = parse_line(&long, "c.jsonl", "line 1", "beir:x").unwrap();
        assert!(p.title.chars().count() <= DERIVED_TITLE_CHARS + 1);
    }

    #[test]
    fn the_namespace_is_the_corpus_directory() {
        assert_eq!(
            namespace(std::path::Path::new("data/scifact/corpus.jsonl")),
            "beir:scifact"
        );
    }
}
