//! CSL-JSON: an array of items, read (each item by its index) and written.

use paperhub_core::{ArxivId, Paper};
use serde::Serialize;
use serde_json::Value;

use crate::{
    arxiv_in, clean_doi, paper_date, paper_url, CiteError, Position, Read, Reference, Unreadable,
};

fn text(item: &serde_json::Map<String, Value>, name: &str) -> Option<String> {
    let value = match item.get(name)? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!value.is_empty()).then_some(value)
}

pub(crate) fn read(source: &str) -> Result<Read, CiteError> {
    let value: Value = serde_json::from_str(source).map_err(|e| CiteError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let items = match value {
        Value::Array(items) => items,
        item @ Value::Object(_) => vec![item],
        _ => return Err(CiteError::NotCsl),
    };
    let mut read = Read::default();
    for (index, item) in items.iter().enumerate() {
        let position = Position::Index(index);
        let Value::Object(item) = item else {
            read.unreadable.push(Unreadable {
                position,
                reason: "not a CSL-JSON item (an object)".into(),
            });
            continue;
        };
        let doi = text(item, "DOI").and_then(|d| clean_doi(&d));
        let arxiv_id = [
            "number",
            "URL",
            "DOI",
            "archive_location",
            "note",
            "container-title",
        ]
        .iter()
        .filter_map(|f| text(item, f))
        .find_map(|t| arxiv_in(&t))
        .or_else(|| {
            text(item, "id")
                .filter(|id| id.to_ascii_lowercase().starts_with("arxiv"))
                .and_then(|id| arxiv_in(&id))
        });
        let title = text(item, "title");
        if title.is_none() && doi.is_none() && arxiv_id.is_none() {
            read.unreadable.push(Unreadable {
                position,
                reason: "no title, DOI or arXiv id to match".into(),
            });
            continue;
        }
        read.references.push(Reference {
            position,
            key: text(item, "id"),
            arxiv_id,
            doi,
            title,
        });
    }
    Ok(read)
}

#[derive(Serialize)]
struct Name<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    family: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    given: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    literal: Option<&'a str>,
}

#[derive(Serialize)]
struct Issued {
    #[serde(rename = "date-parts")]
    date_parts: Vec<Vec<i32>>,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'a str,
    author: Vec<Name<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issued: Option<Issued>,
    #[serde(rename = "abstract", skip_serializing_if = "str::is_empty")]
    abstract_text: &'a str,
    #[serde(rename = "DOI", skip_serializing_if = "Option::is_none")]
    doi: Option<&'a str>,
    #[serde(rename = "URL")]
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    publisher: Option<&'static str>,
    #[serde(rename = "container-title", skip_serializing_if = "Option::is_none")]
    container_title: Option<&'a str>,
}

/// "Ada Lovelace" as CSL's family and given names (a single word stays literal).
fn name(author: &str) -> Name<'_> {
    match author.trim().rsplit_once(' ') {
        Some((given, family)) => Name {
            family: Some(family),
            given: Some(given.trim()),
            literal: None,
        },
        None => Name {
            family: None,
            given: None,
            literal: Some(author.trim()),
        },
    }
}

pub(crate) fn write(papers: &[Paper], hub_url: &str) -> String {
    use chrono::Datelike;
    let items: Vec<Item<'_>> = papers
        .iter()
        .map(|paper| {
            let meta = &paper.meta;
            Item {
                id: paper.id.as_str(),
                kind: if meta.journal_ref.is_some() {
                    "article-journal"
                } else {
                    "article"
                },
                title: &meta.title,
                author: meta.authors.iter().map(|a| name(a)).collect(),
                issued: paper_date(paper).map(|d| Issued {
                    date_parts: vec![vec![d.year(), d.month() as i32, d.day() as i32]],
                }),
                abstract_text: &meta.abstract_text,
                doi: meta.doi.as_deref(),
                url: paper_url(paper, hub_url),
                number: meta
                    .arxiv_id
                    .as_ref()
                    .map(|id: &ArxivId| format!("arXiv:{}", id.as_str())),
                publisher: meta.arxiv_id.as_ref().map(|_| "arXiv"),
                container_title: meta.journal_ref.as_deref(),
            }
        })
        .collect();
    serde_json::to_string_pretty(&items).expect("CSL items serialise") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_read_by_index_and_bad_ones_named() {
        let read = read(
            r#"[{"id":"a","type":"article","title":"T","number":"arXiv:2402.13616"},
                 42,
                 {"id":"b","type":"article"},
                 {"id":"c","title":"Attention","DOI":"10.5555/1"}]"#,
        )
        .unwrap();
        assert_eq!(read.references.len(), 2);
        assert_eq!(
            read.references[0].arxiv_id.as_ref().unwrap().as_str(),
            "2402.13616"
        );
        assert_eq!(read.references[1].position, Position::Index(3));
        let bad: Vec<Position> = read.unreadable.iter().map(|u| u.position).collect();
        assert_eq!(bad, [Position::Index(1), Position::Index(2)]);
    }

    #[test]
    fn broken_json_names_its_line() {
        let error = read("[\n{\"id\": \"a\",\n oops}\n]").unwrap_err();
        assert!(
            matches!(error, CiteError::Json { line: 3, .. }),
            "{error:?}"
        );
    }
}
