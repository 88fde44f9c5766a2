//! Hub listing pages saved as text: a few header lines ("Get trending papers in your email
//! inbox!", a day such as "Jun 5"), then per paper a title line and an abstract line, each
//! followed by a blank line.
//!
//! These papers carry no ids; paperhub-core recognises them by title.

use std::collections::VecDeque;
use std::io::BufRead;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, Utc};
use paperhub_core::{PaperMeta, SourceFormat};
use regex::Regex;

use super::lines::{Line, Lines, MAX_LINE_BYTES};
use crate::error::RecordError;

/// Longest title accepted, in characters; a longer line is an abstract out of place.
pub const MAX_TITLE_CHARS: usize = 300;
/// Shortest abstract accepted, in characters; a shorter line is probably a title.
pub const MIN_ABSTRACT_CHARS: usize = 20;
/// How many non-empty lines may precede the day line.
const HEADER_SCAN_LINES: usize = 20;
/// Lines listing pages start with, lower case.
const HEADER_PHRASES: [&str; 6] = [
    "new",
    "get trending papers in your email inbox!",
    "subscribe",
    "byak and the research community",
    "daily papers",
    "trending papers",
];

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// A day line: `Jun 5`, `June 5`, `Jun 5, 2025`, `2025-06-05`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DayLine {
    /// With a year.
    Full(NaiveDate),
    /// Month and day only.
    MonthDay(u32, u32),
}

/// Recognises a day line.
pub(crate) fn day_line(line: &str) -> Option<DayLine> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:,?\s+(\d{4}))?$")
            .expect("invariant: valid regex")
    });
    let line = line.trim();
    if let Ok(date) = NaiveDate::parse_from_str(line, "%Y-%m-%d") {
        return Some(DayLine::Full(date));
    }
    let c = re.captures(line)?;
    let word = c[1].to_lowercase();
    let month = MONTHS
        .iter()
        .position(|m| m.starts_with(&word) && (word.len() >= 3))? as u32
        + 1;
    let day: u32 = c[2].parse().ok()?;
    match c.get(3) {
        Some(year) => {
            let year = year.as_str().parse().ok()?;
            NaiveDate::from_ymd_opt(year, month, day).map(DayLine::Full)
        }
        None => NaiveDate::from_ymd_opt(2000, month, day).map(|_| DayLine::MonthDay(month, day)),
    }
}

/// The date a day line stands for, given today: this year's, or last year's if that is
/// still to come.
pub(crate) fn resolve_day(day: DayLine, today: NaiveDate) -> Option<NaiveDate> {
    match day {
        DayLine::Full(date) => Some(date),
        DayLine::MonthDay(month, d) => {
            let this_year = NaiveDate::from_ymd_opt(today.year(), month, d);
            match this_year {
                Some(date) if date <= today => Some(date),
                _ => NaiveDate::from_ymd_opt(today.year() - 1, month, d),
            }
        }
    }
}

fn is_header_phrase(line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    HEADER_PHRASES.contains(&lower.as_str())
}

/// Papers of a listing page, read line by line.
pub(crate) struct ListingStream<R> {
    lines: Lines<R>,
    origin: String,
    date: Option<NaiveDate>,
    listed_on: Option<NaiveDate>,
    today: NaiveDate,
    /// Lines read ahead while looking for the end of the header.
    queue: VecDeque<Result<(usize, String), RecordError>>,
    header_done: bool,
    /// A line already read that starts the next paper.
    pending_title: Option<(usize, String)>,
}

impl<R: BufRead> ListingStream<R> {
    pub fn new(source: R, origin: &str, date: Option<NaiveDate>) -> Self {
        Self {
            lines: Lines::new(source, MAX_LINE_BYTES),
            origin: origin.to_owned(),
            date,
            listed_on: date,
            today: Utc::now().date_naive(),
            queue: VecDeque::new(),
            header_done: false,
            pending_title: None,
        }
    }

    /// For tests: pretend today is `today`.
    #[cfg(test)]
    fn with_today(mut self, today: NaiveDate) -> Self {
        self.today = today;
        self
    }

    fn error(&self, line: usize, reason: impl Into<String>) -> RecordError {
        RecordError::new(&self.origin, format!("line {line}"), reason)
    }

    /// The next non-blank line, from the look-ahead queue first.
    fn next_line(&mut self) -> Option<Result<(usize, String), RecordError>> {
        if let Some(item) = self.queue.pop_front() {
            return Some(item);
        }
        self.read_line()
    }

    fn read_line(&mut self) -> Option<Result<(usize, String), RecordError>> {
        loop {
            return Some(match self.lines.next()? {
                Line::Text(number, bytes) => match String::from_utf8(bytes) {
                    Ok(text) if text.trim().is_empty() => continue,
                    Ok(text) => Ok((number, text.trim().to_owned())),
                    Err(e) => Err(self.error(
                        number,
                        format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
                    )),
                },
                Line::TooLong(number, len) => Err(self.error(
                    number,
                    format!("line of {len} bytes is over the limit; skipped"),
                )),
                Line::Failed(number, e) => Err(self.error(number, format!("read error: {e}"))),
            });
        }
    }

    /// Reads past the header: everything up to the first day line, or else the known phrases.
    fn skip_header(&mut self) {
        let mut seen: Vec<Result<(usize, String), RecordError>> = Vec::new();
        let mut texts = 0;
        while texts < HEADER_SCAN_LINES {
            let Some(item) = self.read_line() else { break };
            if let Ok((_, text)) = &item {
                texts += 1;
                if let Some(day) = day_line(text) {
                    if self.date.is_none() {
                        self.listed_on = resolve_day(day, self.today);
                    }
                    // The header ends here; errors met on the way are still reported.
                    self.queue.extend(seen.into_iter().filter(Result::is_err));
                    return;
                }
            }
            seen.push(item);
        }
        let mut rest = seen.into_iter().peekable();
        while let Some(Ok((_, text))) = rest.peek() {
            if !is_header_phrase(text) {
                break;
            }
            rest.next();
        }
        self.queue.extend(rest);
    }
}

impl<R: BufRead> Iterator for ListingStream<R> {
    type Item = Result<PaperMeta, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if !self.header_done {
            self.header_done = true;
            self.skip_header();
        }
        let (title_line, title) = match self.pending_title.take() {
            Some(title) => title,
            None => match self.next_line()? {
                Ok(title) => title,
                Err(e) => return Some(Err(e)),
            },
        };
        let title_chars = title.chars().count();
        if title_chars > MAX_TITLE_CHARS {
            return Some(Err(self.error(
                title_line,
                format!(
                    "expected a title, found a line of {title_chars} characters (over {MAX_TITLE_CHARS}); \
                     an abstract without its title? skipped"
                ),
            )));
        }
        let (abstract_line, abstract_text) = match self.next_line() {
            None => {
                return Some(Err(self.error(
                    title_line,
                    format!("title `{title}` has no abstract (end of file)"),
                )))
            }
            Some(Err(e)) => return Some(Err(e)),
            Some(Ok(line)) => line,
        };
        let abstract_chars = abstract_text.chars().count();
        if abstract_chars < MIN_ABSTRACT_CHARS {
            // Probably the next title: this one lost its abstract.
            self.pending_title = Some((abstract_line, abstract_text));
            return Some(Err(self.error(
                title_line,
                format!(
                    "title `{title}` is followed by a line of {abstract_chars} characters, too short for an abstract \
                     (under {MIN_ABSTRACT_CHARS}); taking that line as the next title"
                ),
            )));
        }
        let meta = PaperMeta {
            title,
            abstract_text,
            listed_on: self.listed_on,
            format: Some(SourceFormat::Listing),
            origin: Some(self.origin.clone()),
            ..PaperMeta::default()
        };
        Some(
            meta.normalized()
                .map_err(|e| RecordError::invalid(&self.origin, format!("line {title_line}"), e)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, today: NaiveDate) -> Vec<Result<PaperMeta, RecordError>> {
        ListingStream::new(text.as_bytes(), "l.txt", None)
            .with_today(today)
            .collect()
    }

    const ABSTRACT: &str = "This abstract is long enough to count as one.";

    #[test]
    fn day_lines_are_recognised_in_several_spellings() {
        assert_eq!(day_line("Jun 5"), Some(DayLine::MonthDay(6, 5)));
        assert_eq!(day_line("June 5"), Some(DayLine::MonthDay(6, 5)));
        assert_eq!(
            day_line("Sept. 12, 2024"),
            NaiveDate::from_ymd_opt(2024, 9, 12).map(DayLine::Full)
        );
        assert_eq!(
            day_line("2025-06-05"),
            NaiveDate::from_ymd_opt(2025, 6, 5).map(DayLine::Full)
        );
        assert_eq!(day_line("Jun 31"), None);
        assert_eq!(day_line("Junk 5"), None);
        assert_eq!(day_line("Mamba 2"), None);
    }

    #[test]
    fn a_day_still_to_come_this_year_means_last_year() {
        let today = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        assert_eq!(
            resolve_day(DayLine::MonthDay(6, 5), today),
            NaiveDate::from_ymd_opt(2024, 6, 5)
        );
        assert_eq!(
            resolve_day(DayLine::MonthDay(2, 5), today),
            NaiveDate::from_ymd_opt(2025, 2, 5)
        );
    }

    #[test]
    fn without_a_day_line_known_header_phrases_are_skipped() {
        let text =
            format!("new\n\nSubscribe\n\nTitle one\n\n{ABSTRACT}\n\nTitle two\n\n{ABSTRACT}\n");
        let today = NaiveDate::from_ymd_opt(2025, 6, 10).unwrap();
        let papers: Vec<_> = read(&text, today).into_iter().map(Result::unwrap).collect();
        assert_eq!(papers.len(), 2);
        assert_eq!(papers[0].title, "Title one");
        assert_eq!(papers[0].listed_on, None);
    }

    #[test]
    fn a_title_without_abstract_is_rejected_and_the_next_paper_survives() {
        let text = format!("Jun 5\n\nLost title\n\nShort one\n\n{ABSTRACT}\n\nLast title\n");
        let today = NaiveDate::from_ymd_opt(2025, 6, 10).unwrap();
        let items = read(&text, today);
        assert_eq!(items.len(), 3);
        let err = items[0].clone().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("l.txt:line 3: title `Lost title`"),
            "{err}"
        );
        let paper = items[1].clone().unwrap();
        assert_eq!(paper.title, "Short one");
        assert_eq!(paper.listed_on, NaiveDate::from_ymd_opt(2025, 6, 5));
        assert!(items[2]
            .clone()
            .unwrap_err()
            .to_string()
            .contains("line 9: title `Last title` has no abstract"));
    }

    #[test]
    fn an_overlong_title_line_is_rejected() {
        let text = format!("Jun 5\n\n{}\n\nTitle\n\n{ABSTRACT}\n", "x".repeat(400));
        let items = read(&text, NaiveDate::from_ymd_opt(2025, 6, 10).unwrap());
        assert!(items[0]
            .clone()
            .unwrap_err()
            .to_string()
            .contains("line 3: expected a title"));
        assert_eq!(items[1].clone().unwrap().title, "Title");
    }
}
