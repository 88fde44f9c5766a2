//! arXiv API responses (Atom 1.0 with the `arxiv:` and `opensearch:` extensions).
//!
//! Each `<entry>` becomes a paper. arXiv answers a bad query with an *error feed*: one entry
//! whose `<id>` is `https://arxiv.org/api/errors#…`, titled `Error`, with the message as its
//! summary; that entry becomes a [`RecordError`] carrying the message, never a paper.

use std::io::BufRead;

use chrono::{DateTime, Utc};
use paperhub_core::{ArxivId, InvalidPaper, PaperMeta, SourceFormat};

use super::xml::{Node, StartError, XmlFault, XmlStream};
use crate::error::RecordError;

/// A parsed arXiv API response.
#[derive(Debug, Clone, Default)]
pub struct AtomFeed {
    /// `opensearch:totalResults`: how many entries match the query in all.
    pub total_results: Option<u64>,
    /// `opensearch:startIndex`: the offset of this page.
    pub start_index: Option<u64>,
    /// One item per `<entry>`, in order; an error feed gives one `Err` with arXiv's message.
    pub records: Vec<Result<PaperMeta, RecordError>>,
}

/// Parses a whole Atom document held in memory.
///
/// Returns `Err` only when the document is not an Atom feed at all (another root element,
/// broken XML before the root, declared entities); problems with single entries, and a
/// document cut short, are items in [`AtomFeed::records`].
pub fn parse_feed(xml: &[u8], origin: &str) -> Result<AtomFeed, RecordError> {
    let mut stream = AtomStream::new(xml, origin);
    stream
        .start()
        .map_err(|e| RecordError::new(origin, "byte 0", e))?;
    let records: Vec<_> = stream.by_ref().collect();
    Ok(AtomFeed {
        total_results: stream.total_results,
        start_index: stream.start_index,
        records,
    })
}

/// How the reason of an error feed's record begins; the rest is arXiv's message.
pub(crate) const API_ERROR: &str = "arXiv API error: ";

fn captured(name: &str) -> bool {
    matches!(name, "entry" | "totalResults" | "startIndex")
}

/// Entries of an Atom document, read as they are parsed.
pub(crate) struct AtomStream<R: BufRead> {
    xml: XmlStream<R>,
    origin: String,
    entries: usize,
    pub total_results: Option<u64>,
    pub start_index: Option<u64>,
}

/// Describes a [`StartError`] for a document expected to be `what` with root `<root>`.
pub(crate) fn start_error_reason(err: StartError, what: &str, root: &str) -> String {
    match err {
        StartError::WrongRoot(Some(found)) => {
            format!("expected {what} (<{root}>), found a <{found}> document")
        }
        StartError::WrongRoot(None) => format!("expected {what} (<{root}>), found no XML element"),
        StartError::Entities => {
            "the document declares its own XML entities (<!DOCTYPE … <!ENTITY …>); \
             refusing to expand them (an entity-expansion attack?)"
                .to_owned()
        }
        StartError::Xml(reason) => reason,
    }
}

impl<R: BufRead> AtomStream<R> {
    pub fn new(source: R, origin: &str) -> Self {
        Self {
            xml: XmlStream::new(source, captured),
            origin: origin.to_owned(),
            entries: 0,
            total_results: None,
            start_index: None,
        }
    }

    /// Reads up to `<feed>`; the error says what was found instead.
    pub fn start(&mut self) -> Result<(), String> {
        self.xml
            .start("feed")
            .map_err(|e| start_error_reason(e, "an Atom feed", "feed"))
    }
}

impl<R: BufRead> Iterator for AtomStream<R> {
    type Item = Result<PaperMeta, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.xml.next_node()? {
                Err(fault) => {
                    return Some(Err(fault_to_error(
                        fault,
                        &mut self.entries,
                        "entry",
                        &self.origin,
                    )))
                }
                Ok(node) if node.name == "entry" => {
                    self.entries += 1;
                    let location = format!("entry {}", self.entries);
                    return Some(entry_to_paper(&node, &self.origin, &location));
                }
                Ok(node) => {
                    let value = node.text.trim().parse().ok();
                    match node.name.as_str() {
                        "totalResults" => self.total_results = value,
                        "startIndex" => self.start_index = value,
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Turns a fault into a record error located at the `unit` (entry, record) it concerns, or at
/// its byte offset when the document itself broke.
pub(crate) fn fault_to_error(
    fault: XmlFault,
    count: &mut usize,
    unit: &str,
    origin: &str,
) -> RecordError {
    if fault.element.as_deref() == Some(unit) {
        *count += 1;
        if !fault.fatal {
            return RecordError::new(origin, format!("{unit} {count}"), fault.reason);
        }
        let reason = format!("{} (at byte {})", fault.reason, fault.position);
        return RecordError::new(origin, format!("{unit} {count}"), reason);
    }
    RecordError::new(origin, format!("byte {}", fault.position), fault.reason)
}

fn rfc3339(node: &Node, name: &str) -> Option<DateTime<Utc>> {
    node.child_text(name)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|d| d.with_timezone(&Utc))
}

fn entry_to_paper(entry: &Node, origin: &str, location: &str) -> Result<PaperMeta, RecordError> {
    let invalid = |why: InvalidPaper| RecordError::invalid(origin, location, why);
    let id_text = entry.child_text("id").unwrap_or_default();
    if id_text.contains("arxiv.org/api/errors") {
        let message = entry
            .child_text("summary")
            .map(paperhub_core::text::collapse_whitespace)
            .unwrap_or_else(|| "arXiv reported an unspecified error".to_owned());
        return Err(RecordError::new(
            origin,
            location,
            format!("{API_ERROR}{message}"),
        ));
    }
    let arxiv_id = ArxivId::parse(id_text).ok();
    let mut meta = PaperMeta {
        arxiv_id,
        title: entry
            .field("title", "title")
            .map_err(invalid)?
            .unwrap_or_default(),
        abstract_text: entry
            .field("summary", "abstract")
            .map_err(invalid)?
            .unwrap_or_default(),
        authors: entry
            .children_named("author")
            .filter_map(|a| a.child_text("name").map(str::to_owned))
            .collect(),
        comments: entry.field("comment", "comments").map_err(invalid)?,
        journal_ref: entry.child_text("journal_ref").map(str::to_owned),
        doi: entry.child_text("doi").map(str::to_owned),
        published: rfc3339(entry, "published"),
        updated: rfc3339(entry, "updated"),
        format: Some(SourceFormat::Atom),
        origin: Some(origin.to_owned()),
        ..PaperMeta::default()
    };
    if meta.arxiv_id.is_none() && !id_text.is_empty() {
        meta.source_id = Some(id_text.to_owned());
        meta.source_namespace = Some("atom".to_owned());
    }
    if let Some(primary) = entry.child("primary_category").and_then(|c| c.attr("term")) {
        meta.categories.push(primary.to_owned());
    }
    for category in entry.children_named("category") {
        if let Some(term) = category.attr("term") {
            meta.categories.push(term.to_owned());
        }
    }
    for link in entry.children_named("link") {
        let Some(href) = link.attr("href").map(str::to_owned) else {
            continue;
        };
        match (link.attr("rel"), link.attr("title")) {
            (_, Some("pdf")) => meta.links.pdf = Some(href),
            (_, Some("doi")) => meta.links.doi = Some(href),
            (Some("alternate"), _) => meta.links.abs = Some(href),
            _ => {}
        }
    }
    meta.normalized().map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &str = r#"<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"
      xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
  <opensearch:totalResults>1</opensearch:totalResults>
  <entry>
    <id>http://arxiv.org/abs/1201.4869v1</id>
    <title>A &amp; B &#233;t&#xE9;</title>
    <summary>  Some   abstract text.</summary>
    <author><name>Ada Lovelace</name></author>
    <author><name>Alan Turing</name><arxiv:affiliation>Cambridge</arxiv:affiliation></author>
    <link href="http://arxiv.org/abs/1201.4869v1" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/1201.4869v1" rel="related"/>
    <link title="doi" href="http://dx.doi.org/10.1/x" rel="related"/>
    <arxiv:doi>10.1/x</arxiv:doi>
    <arxiv:comment>5 pages</arxiv:comment>
    <arxiv:journal_ref>J. Phys. 1 (2012)</arxiv:journal_ref>
    <arxiv:primary_category term="cond-mat.stat-mech"/>
    <category term="cond-mat.other"/>
    <category term="cond-mat.stat-mech"/>
    <published>2012-01-23T21:15:02Z</published>
    <updated>2012-02-01T10:00:00Z</updated>
  </entry>
</feed>"#;

    #[test]
    fn an_entry_becomes_a_paper_with_every_field() {
        let feed = parse_feed(ENTRY.as_bytes(), "t.xml").unwrap();
        assert_eq!(feed.total_results, Some(1));
        let p = feed.records[0].clone().unwrap();
        assert_eq!(p.arxiv_id.as_ref().unwrap().to_string(), "1201.4869v1");
        assert_eq!(p.title, "A & B été");
        assert_eq!(p.abstract_text, "Some abstract text.");
        assert_eq!(p.authors, ["Ada Lovelace", "Alan Turing"]);
        assert_eq!(p.categories, ["cond-mat.stat-mech", "cond-mat.other"]);
        assert_eq!(
            p.links.abs.as_deref(),
            Some("http://arxiv.org/abs/1201.4869v1")
        );
        assert_eq!(
            p.links.pdf.as_deref(),
            Some("http://arxiv.org/pdf/1201.4869v1")
        );
        assert_eq!(p.links.doi.as_deref(), Some("http://dx.doi.org/10.1/x"));
        assert_eq!(p.doi.as_deref(), Some("10.1/x"));
        assert_eq!(p.comments.as_deref(), Some("5 pages"));
        assert_eq!(p.journal_ref.as_deref(), Some("J. Phys. 1 (2012)"));
        assert_eq!(
            p.published.unwrap().to_rfc3339(),
            "2012-01-23T21:15:02+00:00"
        );
        assert_eq!(p.updated.unwrap().to_rfc3339(), "2012-02-01T10:00:00+00:00");
        assert_eq!(p.format, Some(SourceFormat::Atom));
        assert_eq!(p.origin.as_deref(), Some("t.xml"));
    }

    #[test]
    fn an_entry_without_title_is_rejected_with_its_position() {
        let xml = ENTRY.replace("<title>A &amp; B &#233;t&#xE9;</title>", "");
        let feed = parse_feed(xml.as_bytes(), "feed.xml").unwrap();
        let err = feed.records[0].clone().unwrap_err();
        assert_eq!(
            err.to_string(),
            "feed.xml:entry 1: field `title` is missing or empty"
        );
    }

    #[test]
    fn a_document_that_is_not_a_feed_is_an_error() {
        let err = parse_feed(b"<html><body/></html>", "x").unwrap_err();
        assert!(
            err.reason
                .contains("expected an Atom feed (<feed>), found a <html>"),
            "{err}"
        );
    }
}
