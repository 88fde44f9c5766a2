//! Searching on behalf of a request: what the forms and the API send, parsed, handed to the
//! hub as one [`SearchRequest`]; the hub decides the rules (mode, limits, fallbacks).

use chrono::NaiveDate;
use paperhub_app::{
    SearchMode, SearchRequest, SearchResults, SimilarPapers, MAX_LIMIT, MAX_OFFSET,
};

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// A mode as a form spells it: empty means the hub's default.
pub fn parse_mode(text: &str) -> Result<Option<SearchMode>, ApiError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(text.parse::<SearchMode>()?))
}

/// Checks the page of a listing of papers by day: `limit` 1 to [`MAX_LIMIT`], `offset` up to
/// [`MAX_OFFSET`], the bounds of a search page too (searches check theirs in the hub).
pub fn check_page(
    limit: Option<usize>,
    offset: Option<usize>,
    default: usize,
) -> Result<(usize, usize), ApiError> {
    let limit = limit.unwrap_or(default);
    let offset = offset.unwrap_or(0);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::new(
            ErrorCode::LimitOutOfRange,
            format!("limit must be from 1 to {MAX_LIMIT}, not {limit}"),
        ));
    }
    if offset > MAX_OFFSET {
        return Err(ApiError::new(
            ErrorCode::LimitOutOfRange,
            format!("offset must be at most {MAX_OFFSET}, not {offset}"),
        ));
    }
    Ok((limit, offset))
}

/// Runs a search on the hub, in one of the search slots.
pub async fn run(state: &AppState, request: SearchRequest) -> Result<SearchResults, ApiError> {
    state.search(move |hub| hub.search(&request)).await
}

/// Parses an optional `YYYY-MM-DD` parameter named `name`.
pub fn parse_day(name: &str, value: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::InvalidParameter,
                    format!("{name} `{v}` is not a day: expected YYYY-MM-DD"),
                )
            }),
    }
}

/// Papers like `paper`: the hub decides how (by meaning with the model, else by words).
pub async fn similar(
    state: &AppState,
    paper: &paperhub_core::Paper,
    limit: usize,
) -> Result<SimilarPapers, ApiError> {
    let id = paper.id.to_string();
    state
        .search(move |hub| hub.similar_papers(&id, limit))
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::PaperNotFound, "the paper is gone"))
}
