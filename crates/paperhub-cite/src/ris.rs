//! RIS, written: one `TAG  - value` line per field, `ER  - ` after each paper.

use std::fmt::Write as _;

use paperhub_core::Paper;

use crate::{paper_date, paper_url};

pub(crate) fn write(papers: &[Paper], hub_url: &str) -> String {
    let mut out = String::new();
    for paper in papers {
        let meta = &paper.meta;
        let mut put = |tag: &str, value: &str| {
            let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
            if !value.is_empty() {
                let _ = write!(out, "{tag}  - {value}\r\n");
            }
        };
        put(
            "TY",
            if meta.journal_ref.is_some() {
                "JOUR"
            } else {
                "UNPB"
            },
        );
        put("TI", &meta.title);
        for author in &meta.authors {
            put("AU", author);
        }
        if let Some(date) = paper_date(paper) {
            put("PY", &date.format("%Y").to_string());
            put("DA", &date.format("%Y/%m/%d").to_string());
        }
        if let Some(journal) = &meta.journal_ref {
            put("JO", journal);
        }
        put("AB", &meta.abstract_text);
        if let Some(doi) = &meta.doi {
            put("DO", doi);
        }
        put("UR", &paper_url(paper, hub_url));
        if let Some(id) = &meta.arxiv_id {
            put("N1", &format!("arXiv:{}", id.as_str()));
        }
        for category in &meta.categories {
            put("KW", category);
        }
        put("ID", paper.id.as_str());
        out.push_str("ER  - \r\n\r\n");
    }
    out
}
