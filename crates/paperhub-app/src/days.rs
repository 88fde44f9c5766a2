//! Papers by the day the hub lists them on: one day, an ISO week or a month, and the days
//! around it that have papers.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use paperhub_core::Paper;

use crate::{Hub, HubError, Result};

/// A span of days the hub lists papers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayRange {
    /// One day.
    Day(NaiveDate),
    /// An ISO week (Monday to Sunday), named by its ISO year and week number.
    Week { year: i32, week: u32 },
    /// A calendar month.
    Month { year: i32, month: u32 },
}

impl DayRange {
    /// Parses `YYYY-MM-DD`.
    pub fn parse_day(text: &str) -> Result<Self> {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map(DayRange::Day)
            .map_err(|_| HubError::Invalid(format!("`{text}` is not a day: expected YYYY-MM-DD")))
    }

    /// Parses an ISO week, `YYYY-Www` (`2025-W23`).
    pub fn parse_week(text: &str) -> Result<Self> {
        let invalid = || HubError::Invalid(format!("`{text}` is not a week: expected YYYY-Www"));
        let (year, week) = text.trim().split_once("-W").ok_or_else(invalid)?;
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let week: u32 = week.parse().map_err(|_| invalid())?;
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(invalid)?;
        Ok(DayRange::Week { year, week })
    }

    /// Parses a month, `YYYY-MM`.
    pub fn parse_month(text: &str) -> Result<Self> {
        let invalid = || HubError::Invalid(format!("`{text}` is not a month: expected YYYY-MM"));
        let (year, month) = text.trim().split_once('-').ok_or_else(invalid)?;
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let month: u32 = month.parse().map_err(|_| invalid())?;
        NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(invalid)?;
        Ok(DayRange::Month { year, month })
    }

    /// The first and last day of the span.
    pub fn bounds(&self) -> (NaiveDate, NaiveDate) {
        match *self {
            DayRange::Day(day) => (day, day),
            DayRange::Week { year, week } => {
                let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
                    .expect("invariant: parsed weeks exist");
                (monday, monday + Days::new(6))
            }
            DayRange::Month { year, month } => {
                let first = NaiveDate::from_ymd_opt(year, month, 1)
                    .expect("invariant: parsed months exist");
                let next = first
                    .checked_add_months(chrono::Months::new(1))
                    .expect("invariant: months before year 262143 have a successor");
                (
                    first,
                    next.pred_opt().expect("invariant: not the first day ever"),
                )
            }
        }
    }

    /// The week holding `day`.
    pub fn week_of(day: NaiveDate) -> Self {
        let iso = day.iso_week();
        DayRange::Week {
            year: iso.year(),
            week: iso.week(),
        }
    }

    /// The month holding `day`.
    pub fn month_of(day: NaiveDate) -> Self {
        DayRange::Month {
            year: day.year(),
            month: day.month(),
        }
    }

    /// The span before this one, of the same kind.
    pub fn previous(&self) -> Self {
        let (first, _) = self.bounds();
        let before = first.pred_opt().unwrap_or(first);
        self.same_kind(before)
    }

    /// The span after this one, of the same kind.
    pub fn next(&self) -> Self {
        let (_, last) = self.bounds();
        let after = last.succ_opt().unwrap_or(last);
        self.same_kind(after)
    }

    fn same_kind(&self, day: NaiveDate) -> Self {
        match self {
            DayRange::Day(_) => DayRange::Day(day),
            DayRange::Week { .. } => DayRange::week_of(day),
            DayRange::Month { .. } => DayRange::month_of(day),
        }
    }
}

impl std::fmt::Display for DayRange {
    /// The span as its query parameter spells it: `2025-06-05`, `2025-W23`, `2025-06`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DayRange::Day(day) => write!(f, "{}", day.format("%Y-%m-%d")),
            DayRange::Week { year, week } => write!(f, "{year:04}-W{week:02}"),
            DayRange::Month { year, month } => write!(f, "{year:04}-{month:02}"),
        }
    }
}

/// One page of the papers listed in a span.
#[derive(Debug, Clone)]
pub struct DayPage {
    /// The papers, latest day first, in listing order within a day.
    pub papers: Vec<Paper>,
    /// How many papers the whole span holds.
    pub total: u64,
}

impl Hub {
    /// The papers listed in `range`, `offset` skipped, at most `limit`.
    pub fn papers_in(&self, range: DayRange, limit: usize, offset: usize) -> Result<DayPage> {
        self.papers_in_order(range, DayOrder::Listing, limit, offset)
    }

    /// [`Hub::papers_in`] in `order`.
    pub fn papers_in_order(
        &self,
        range: DayRange,
        order: DayOrder,
        limit: usize,
        offset: usize,
    ) -> Result<DayPage> {
        let (from, until) = range.bounds();
        let stored = match order {
            DayOrder::Listing => self.store.papers_between(from, until, limit, offset)?,
            DayOrder::Votes => self
                .store
                .papers_between_by_votes(from, until, limit, offset)?,
        };
        let papers = stored.into_iter().map(|p| p.paper).collect();
        Ok(DayPage {
            papers,
            total: self.store.count_between(from, until)?,
        })
    }

    /// The nearest days before and after `day` that have papers.
    pub fn adjacent_days(&self, day: NaiveDate) -> Result<(Option<NaiveDate>, Option<NaiveDate>)> {
        Ok(self.store.adjacent_days(day)?)
    }

    /// The latest day that has papers.
    pub fn latest_day(&self) -> Result<Option<NaiveDate>> {
        Ok(self.store.latest_day()?)
    }
}

/// The order of a span's papers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DayOrder {
    /// Latest day first, each day in its listing's order.
    #[default]
    Listing,
    /// Most upvoted first, ties in the listing's order (as Hugging Face's daily list).
    Votes,
}

impl DayOrder {
    /// `listing` (or nothing) or `votes`.
    pub fn parse(text: Option<&str>) -> Result<Self> {
        match text.map(str::trim).unwrap_or("") {
            "" | "listing" => Ok(DayOrder::Listing),
            "votes" => Ok(DayOrder::Votes),
            other => Err(HubError::Invalid(format!(
                "sort `{other}` is not an order: expected listing or votes"
            ))),
        }
    }

    /// As a query parameter says it.
    pub fn as_str(self) -> &'static str {
        match self {
            DayOrder::Listing => "listing",
            DayOrder::Votes => "votes",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn weeks_and_months_parse_to_their_first_and_last_days() {
        let week = DayRange::parse_week("2025-W23").unwrap();
        assert_eq!(week.bounds(), (day(2025, 6, 2), day(2025, 6, 8)));
        assert_eq!(week.to_string(), "2025-W23");
        assert_eq!(DayRange::week_of(day(2025, 6, 5)), week);
        let month = DayRange::parse_month("2024-02").unwrap();
        assert_eq!(month.bounds(), (day(2024, 2, 1), day(2024, 2, 29)));
        assert_eq!(month.previous().to_string(), "2024-01");
        assert_eq!(month.next().to_string(), "2024-03");
        assert_eq!(week.previous().to_string(), "2025-W22");
    }

    #[test]
    fn malformed_spans_are_refused_with_the_expected_form() {
        for bad in ["2025-W54", "2025-23", "x-W1"] {
            let error = DayRange::parse_week(bad).unwrap_err().to_string();
            assert!(error.contains("YYYY-Www"), "{error}");
        }
        assert!(DayRange::parse_month("2025-13").is_err());
        assert!(DayRange::parse_day("2025-02-30").is_err());
    }
}
