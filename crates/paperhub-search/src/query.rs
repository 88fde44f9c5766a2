//! Keyword queries: the user's text plus structured filters.

use chrono::NaiveDate;

/// Filters that narrow any search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Only papers with an author matching these words (all of them, as a phrase).
    pub author: Option<String>,
    /// Only papers in this category (exact, e.g. `cs.CV`).
    pub category: Option<String>,
    /// Only papers listed on or after this day.
    pub from: Option<NaiveDate>,
    /// Only papers listed on or before this day.
    pub until: Option<NaiveDate>,
}

impl Filters {
    /// Whether no filter is set.
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }
}

/// A keyword search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordQuery {
    /// Query text: words, `"phrases"`, `title:word`, `abstract:word`, `+required`,
    /// `-excluded`. [`KeywordQuery::parse`] takes `author:`, `category:` and `date:` out of
    /// the text into [`Filters`].
    pub text: String,
    /// Filters.
    pub filters: Filters,
    /// How many hits to return.
    pub limit: usize,
    /// How many of the best hits to skip (pagination).
    pub offset: usize,
}

impl KeywordQuery {
    /// A query for `text` with the default limit of 10. `author:name` (or
    /// `author:"First Last"`), `category:cs.CV` and `date:2024-01-01..2024-12-31` (either end
    /// optional) become filters, which narrow the results without changing their order. A
    /// malformed `date:` range is an error that says what was expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut filters = Filters::default();
        let mut words = Vec::new();
        for word in split_respecting_quotes(text) {
            if let Some(range) = word.strip_prefix("date:") {
                let (from, until) = parse_day_range(range)?;
                filters.from = from.or(filters.from);
                filters.until = until.or(filters.until);
            } else if let Some(author) = word.strip_prefix("author:").filter(|a| !a.is_empty()) {
                filters.author = Some(author.trim_matches('"').to_owned());
            } else if let Some(category) = word.strip_prefix("category:").filter(|c| !c.is_empty())
            {
                filters.category = Some(category.trim_matches('"').to_owned());
            } else {
                words.push(word);
            }
        }
        Ok(KeywordQuery {
            text: words.join(" "),
            filters,
            limit: 10,
            offset: 0,
        })
    }
}

/// Splits on whitespace, keeping `"quoted phrases"` (and `field:"quoted phrases"`) whole.
fn split_respecting_quotes(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let mut in_quotes = false;
    for (i, ch) in text.char_indices() {
        match ch {
            '"' => {
                in_quotes = !in_quotes;
                start.get_or_insert(i);
            }
            c if c.is_whitespace() && !in_quotes => {
                if let Some(s) = start.take() {
                    out.push(&text[s..i]);
                }
            }
            _ => {
                start.get_or_insert(i);
            }
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// `A..B`, `A..`, `..B` or a single day `A`.
fn parse_day_range(range: &str) -> Result<(Option<NaiveDate>, Option<NaiveDate>), String> {
    let day = |s: &str| -> Result<Option<NaiveDate>, String> {
        if s.is_empty() {
            return Ok(None);
        }
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                format!("`date:{range}`: expected YYYY-MM-DD, YYYY-MM-DD..YYYY-MM-DD, A.. or ..B")
            })
    };
    match range.split_once("..") {
        Some((a, b)) => Ok((day(a)?, day(b)?)),
        None => {
            let d = day(range)?;
            Ok((d, d))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_ranges_move_from_the_text_into_filters() {
        let q = KeywordQuery::parse("diffusion date:2024-01-01..2024-06-30 models").unwrap();
        assert_eq!(q.text, "diffusion models");
        assert_eq!(q.filters.from, NaiveDate::from_ymd_opt(2024, 1, 1));
        assert_eq!(q.filters.until, NaiveDate::from_ymd_opt(2024, 6, 30));
        let q = KeywordQuery::parse("x date:..2020-02-02").unwrap();
        assert_eq!(
            (q.filters.from, q.filters.until),
            (None, NaiveDate::from_ymd_opt(2020, 2, 2))
        );
    }

    #[test]
    fn author_and_category_become_filters_and_phrases_stay_whole() {
        let q = KeywordQuery::parse("\"from scratch\" author:\"Geoffrey Hinton\" category:cs.LG")
            .unwrap();
        assert_eq!(q.text, "\"from scratch\"");
        assert_eq!(q.filters.author.as_deref(), Some("Geoffrey Hinton"));
        assert_eq!(q.filters.category.as_deref(), Some("cs.LG"));
    }

    #[test]
    fn a_malformed_date_range_says_what_was_expected() {
        let err = KeywordQuery::parse("x date:yesterday").unwrap_err();
        assert!(err.contains("expected YYYY-MM-DD"), "{err}");
    }
}
