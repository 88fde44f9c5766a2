//! Which span of days a request asks for, and its papers.

use paperhub_app::DayRange;
use paperhub_core::Paper;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// One page of a span's papers and the spans around it.
pub struct Listing {
    /// The span shown (`None`: the hub holds no dated paper).
    pub range: Option<DayRange>,
    /// The span before: the nearest earlier day with papers, or the previous week or month.
    pub previous: Option<DayRange>,
    /// The span after.
    pub next: Option<DayRange>,
    /// The papers of this page.
    pub papers: Vec<Paper>,
    /// How many papers the span holds.
    pub total: u64,
}

fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The span named by `date`, `week` or `month` (at most one), else the latest day with papers,
/// in the order `sort` names (`listing`, the default, or `votes`).
pub async fn listing(
    state: &AppState,
    date: Option<&str>,
    week: Option<&str>,
    month: Option<&str>,
    sort: Option<&str>,
    limit: usize,
    offset: usize,
) -> Result<Listing, ApiError> {
    let order = paperhub_app::DayOrder::parse(sort)?;
    let asked = match (given(date), given(week), given(month)) {
        (None, None, None) => None,
        (Some(d), None, None) => Some(DayRange::parse_day(d)?),
        (None, Some(w), None) => Some(DayRange::parse_week(w)?),
        (None, None, Some(m)) => Some(DayRange::parse_month(m)?),
        _ => {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                "give one of date, week or month",
            ))
        }
    };
    state
        .hub(move |hub| {
            let range = match asked {
                Some(range) => Some(range),
                None => hub.latest_day()?.map(DayRange::Day),
            };
            let Some(range) = range else {
                return Ok(Listing {
                    range: None,
                    previous: None,
                    next: None,
                    papers: Vec::new(),
                    total: 0,
                });
            };
            let (previous, next) = match range {
                DayRange::Day(day) => {
                    let (before, after) = hub.adjacent_days(day)?;
                    (before.map(DayRange::Day), after.map(DayRange::Day))
                }
                other => (Some(other.previous()), Some(other.next())),
            };
            let page = hub.papers_in_order(range, order, limit, offset)?;
            Ok(Listing {
                range: Some(range),
                previous,
                next,
                papers: page.papers,
                total: page.total,
            })
        })
        .await
}
