//! BibTeX: read one entry at a time (so a broken one does not hide the rest), written with
//! arXiv's own fields (`eprint`, `archivePrefix`, `primaryClass`).

use std::fmt::Write as _;

use biblatex::{Bibliography, ChunksExt};
use paperhub_core::{ArxivId, Paper};

use crate::{
    arxiv_in, clean_doi, paper_date, paper_url, CiteError, Position, Read, Reference, Unreadable,
};

/// One `@…` block of the file and the line it starts on.
struct Block<'a> {
    line: usize,
    text: &'a str,
}

/// The file cut at each `@` that starts a line (BibTeX entries start so in every manager's
/// output; text before the first is a comment to BibTeX).
fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_start().starts_with('@') {
            starts.push((index + 1, offset + (line.len() - line.trim_start().len())));
        }
        offset += line.len();
    }
    let ends = starts.iter().skip(1).map(|&(_, s)| s).chain([text.len()]);
    starts
        .iter()
        .zip(ends)
        .map(|(&(line, start), end)| Block {
            line,
            text: &text[start..end],
        })
        .collect()
}

/// What kind of block: `@string`, `@comment`, `@preamble` or an entry.
fn kind(block: &str) -> String {
    block[1..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

pub(crate) fn read(text: &str) -> Result<Read, CiteError> {
    let blocks = blocks(text);
    if blocks.is_empty() {
        return Err(CiteError::Empty);
    }
    // `@string` abbreviations apply to every entry after them: each entry is parsed with them.
    let mut strings = String::new();
    let mut read = Read::default();
    for block in &blocks {
        match kind(block.text).as_str() {
            "string" => {
                if Bibliography::parse(block.text).is_ok() {
                    strings.push_str(block.text);
                    strings.push('\n');
                } else {
                    read.unreadable.push(Unreadable {
                        position: Position::Line(block.line),
                        reason: "a broken @string abbreviation".into(),
                    });
                }
                continue;
            }
            "comment" | "preamble" => continue,
            _ => {}
        }
        let source = format!("{strings}{}", block.text);
        match Bibliography::parse(&source) {
            Ok(bibliography) => {
                let mut any = false;
                for entry in bibliography.iter() {
                    any = true;
                    read.references.push(reference(entry, block.line));
                }
                if !any {
                    read.unreadable.push(Unreadable {
                        position: Position::Line(block.line),
                        reason: "no entry could be read here".into(),
                    });
                }
            }
            Err(error) => {
                let at = error
                    .span
                    .start
                    .saturating_sub(strings.len())
                    .min(block.text.len());
                let near = block.line + block.text[..at].matches('\n').count();
                read.unreadable.push(Unreadable {
                    position: Position::Line(block.line),
                    reason: format!("a broken entry: {} (near line {near})", error.kind),
                });
            }
        }
    }
    Ok(read)
}

fn field(entry: &biblatex::Entry, name: &str) -> Option<String> {
    let value = entry.get(name)?.format_verbatim();
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn reference(entry: &biblatex::Entry, line: usize) -> Reference {
    let eprint = field(entry, "eprint");
    let prefix = field(entry, "archiveprefix")
        .or_else(|| field(entry, "eprinttype"))
        .map(|p| p.to_ascii_lowercase());
    let doi = field(entry, "doi").and_then(|d| clean_doi(&d));
    let arxiv_id = eprint
        .as_deref()
        .filter(|_| prefix.as_deref().is_none_or(|p| p == "arxiv"))
        .and_then(|e| ArxivId::parse(e.trim_start_matches("arXiv:")).ok())
        .or_else(|| {
            [
                "url",
                "doi",
                "journal",
                "journaltitle",
                "note",
                "howpublished",
            ]
            .iter()
            .filter_map(|f| field(entry, f))
            .find_map(|text| arxiv_in(&text))
        });
    Reference {
        position: Position::Line(line),
        key: Some(entry.key.clone()),
        arxiv_id,
        doi,
        title: field(entry, "title"),
    }
}

/// A value inside `{…}`: kept as it is when its braces balance (arXiv titles carry LaTeX),
/// with every brace escaped when they do not.
fn braced(value: &str) -> String {
    let mut depth: i64 = 0;
    let balanced = value.chars().all(|c| {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        depth >= 0
    }) && depth == 0;
    let value = value.replace(['\r', '\n'], " ");
    if balanced && !value.ends_with('\\') {
        value
    } else {
        value
            .replace('\\', "\\textbackslash ")
            .replace('{', "\\{")
            .replace('}', "\\}")
    }
}

/// A citation key from a hub id: letters, digits and `.:-_` kept, anything else `_`.
fn cite_key(paper: &Paper) -> String {
    let id = paper.id.as_str();
    let key: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".:-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if paper.meta.arxiv_id.is_some() {
        format!("arxiv:{key}")
    } else {
        key
    }
}

pub(crate) fn write(papers: &[Paper], hub_url: &str) -> String {
    let mut out = String::new();
    for paper in papers {
        let meta = &paper.meta;
        let kind = if meta.journal_ref.is_some() {
            "article"
        } else {
            "misc"
        };
        let _ = writeln!(out, "@{kind}{{{},", cite_key(paper));
        let mut put = |name: &str, value: &str| {
            let _ = writeln!(out, "  {name} = {{{}}},", braced(value));
        };
        put("title", &meta.title);
        if !meta.authors.is_empty() {
            put("author", &meta.authors.join(" and "));
        }
        if let Some(date) = paper_date(paper) {
            put("year", &date.format("%Y").to_string());
            put("month", &date.format("%b").to_string().to_lowercase());
        }
        if let Some(journal) = &meta.journal_ref {
            put("journal", journal);
        }
        if let Some(id) = &meta.arxiv_id {
            put("eprint", id.as_str());
            put("archivePrefix", "arXiv");
            if let Some(primary) = meta.categories.first() {
                put("primaryClass", primary);
            }
        }
        if let Some(doi) = &meta.doi {
            put("doi", doi);
        }
        put("url", &paper_url(paper, hub_url));
        if !meta.abstract_text.is_empty() {
            put("abstract", &meta.abstract_text);
        }
        out.push_str("}\n\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"% exported by a manager
@string{arx = "arXiv preprint"}

@article{yolo9,
  title = {{YOLOv9}: Learning What You Want to Learn},
  author = {Wang, Chien-Yao and Liao, Hong-Yuan Mark},
  journal = arx # " arXiv:2402.13616",
  year = {2024}
}

@misc{broken,
  title = {An entry whose braces never close,
  year = 2020

@inproceedings{bydoi,
  title = {Attention Is All You Need},
  doi = {https://doi.org/10.5555/3295222.3295349},
}
@misc{byeprint, title = {X}, eprint = {1706.03762}, archivePrefix = {arXiv}}
"#;

    #[test]
    fn a_broken_entry_is_named_by_its_line_and_the_others_are_read() {
        let read = read(FILE).unwrap();
        let keys: Vec<&str> = read
            .references
            .iter()
            .map(|r| r.key.as_deref().unwrap())
            .collect();
        assert_eq!(keys, ["yolo9", "bydoi", "byeprint"]);
        assert_eq!(read.unreadable.len(), 1, "{:?}", read.unreadable);
        assert_eq!(
            read.unreadable[0].position,
            Position::Line(11),
            "where it starts"
        );
        let yolo = &read.references[0];
        assert_eq!(
            yolo.arxiv_id.as_ref().unwrap().as_str(),
            "2402.13616",
            "found through @string"
        );
        assert_eq!(yolo.position, Position::Line(4));
        assert_eq!(
            read.references[1].doi.as_deref(),
            Some("10.5555/3295222.3295349")
        );
        assert_eq!(
            read.references[1].title.as_deref(),
            Some("Attention Is All You Need")
        );
        assert_eq!(
            read.references[2].arxiv_id.as_ref().unwrap().as_str(),
            "1706.03762"
        );
    }

    #[test]
    fn nothing_like_bibtex_is_an_error() {
        assert_eq!(read("just some words"), Err(CiteError::Empty));
    }

    #[test]
    fn unbalanced_braces_are_escaped_and_balanced_latex_kept() {
        assert_eq!(braced("The {BERT} model"), "The {BERT} model");
        assert_eq!(braced("a } b {"), "a \\} b \\{");
        assert_eq!(braced("trailing \\"), "trailing \\textbackslash ");
    }
}
