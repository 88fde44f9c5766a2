//! `GET /papers/{id}`: one paper, whole: its votes and submitter, why it trends, its
//! comment thread, and papers like it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{authors_line, long_day, paper_links, render, Chrome, LinkView, PageError, PaperCard};
use paperhub_app::{CommentView, SimilarBy};

use crate::search::similar;
use crate::session::Visitor;
use crate::state::AppState;

/// Similar papers shown.
const SIMILAR: usize = 5;

/// A comment as the thread shows it.
pub struct CommentItem {
    pub id: u64,
    /// How deep it hangs in the thread (0: on the paper), for its indentation.
    pub depth: usize,
    pub author: String,
    /// Sanitised HTML of its Markdown; empty when hidden or deleted.
    pub html: String,
    /// Why there is no text: "hidden by a moderator" or "deleted".
    pub gone: String,
    pub written: String,
    pub edited: bool,
    /// The viewer wrote it (and may delete it).
    pub mine: bool,
    /// Hidden by a moderator (a moderator may restore it).
    pub hidden: bool,
}

/// One period's line of "why trending".
pub struct WhyLine {
    pub period: &'static str,
    pub rank: usize,
    pub numbers: String,
}

#[derive(Template)]
#[template(path = "paper.html")]
struct PaperPage {
    chrome: Chrome,
    q: String,
    page_title: String,
    id: String,
    url: String,
    title: String,
    authors: String,
    abstract_text: String,
    categories: Vec<String>,
    listed_on: String,
    published: String,
    updated: String,
    comments: String,
    journal_ref: String,
    links: Vec<LinkView>,
    votes: u64,
    voted: bool,
    submitted_by: Option<String>,
    why: Vec<WhyLine>,
    formula: &'static str,
    thread: Vec<CommentItem>,
    signed_in: bool,
    /// The member's tags holding the paper: name, label, the tag's page.
    in_tags: Vec<(String, &'static str, String)>,
    /// All the member's tags (the save form offers them).
    my_tags: Vec<String>,
    moderator: bool,
    similar_by_meaning: bool,
    similar: Vec<PaperCard>,
}

/// The thread in reading order: each comment followed by its replies, oldest first.
fn thread(views: &[CommentView], viewer: Option<u64>) -> Vec<CommentItem> {
    fn walk(
        views: &[CommentView],
        viewer: Option<u64>,
        parent: Option<u64>,
        depth: usize,
        out: &mut Vec<CommentItem>,
    ) {
        for view in views.iter().filter(|v| v.comment.parent_id == parent) {
            let c = &view.comment;
            out.push(CommentItem {
                id: c.id,
                depth: depth.min(6),
                author: c
                    .author
                    .clone()
                    .unwrap_or_else(|| paperhub_app::DELETED_ACCOUNT.to_owned()),
                html: view
                    .body
                    .as_deref()
                    .map(crate::markdown::render)
                    .unwrap_or_default(),
                gone: match (c.deleted, c.hidden) {
                    (true, _) => "deleted".into(),
                    (false, true) => "hidden by a moderator".into(),
                    _ => String::new(),
                },
                written: c.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                edited: c.edited_at.is_some(),
                mine: viewer.is_some() && c.account_id == viewer && !c.deleted,
                hidden: c.hidden,
            });
            walk(views, viewer, Some(c.id), depth + 1, out);
        }
    }
    let mut out = Vec::with_capacity(views.len());
    walk(views, viewer, None, 0, &mut out);
    out
}

pub async fn show_paper(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let paper = crate::api::find_paper(&state, id).await?;
    let similar = similar(&state, &paper, SIMILAR).await?;
    let community = crate::api::community(&state, vec![paper.id.clone()])
        .await?
        .pop()
        .unwrap_or_default();
    let (paper_id, account) = (paper.id.clone(), visitor.account.clone());
    let votes = community.votes;
    let (voted, why, comments, in_tags, my_tags) = state
        .hub(move |hub| {
            let (voted, in_tags, my_tags) = match &account {
                Some(account) => {
                    let library = hub.library();
                    // A member who opens a paper has seen it: it leaves their unseen picks.
                    library.mark_seen(account, &[&paper_id])?;
                    (
                        hub.has_voted(account, &paper_id)?,
                        library.tags_of(account, &paper_id)?,
                        library.tags(account)?.into_iter().map(|t| t.name).collect(),
                    )
                }
                None => (false, Vec::new(), Vec::new()),
            };
            let why = if votes > 0 {
                hub.why_trending(&paper_id, chrono::Utc::now())?
            } else {
                Vec::new()
            };
            let comments = hub.comments(paper_id.as_str())?;
            Ok((voted, why, comments, in_tags, my_tags))
        })
        .await?;
    let meta = &paper.meta;
    let day = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| long_day(t.date_naive())).unwrap_or_default()
    };
    let page = PaperPage {
        chrome: Chrome::from(&visitor),
        q: String::new(),
        page_title: meta.title.clone(),
        id: paper.id.to_string(),
        url: crate::links::paper_path(paper.id.as_str()),
        title: meta.title.clone(),
        authors: authors_line(&meta.authors, usize::MAX),
        abstract_text: meta.abstract_text.clone(),
        categories: meta.categories.clone(),
        listed_on: paper.listed_on.map(long_day).unwrap_or_default(),
        published: day(meta.published),
        updated: day(meta.updated),
        comments: meta.comments.clone().unwrap_or_default(),
        journal_ref: meta.journal_ref.clone().unwrap_or_default(),
        links: paper_links(&paper),
        votes,
        voted,
        submitted_by: community.submitted_by,
        why: why
            .iter()
            .map(|(period, rank, t)| {
                let w = &t.why;
                WhyLine {
                    period: period.as_str(),
                    rank: *rank,
                    numbers: format!(
                        "{} votes this {} / ({:.1} h since {} + {}) ^ {} = {:.6}",
                        w.votes_in_period,
                        period.as_str(),
                        w.age_hours,
                        w.age_from,
                        w.offset_hours,
                        w.gravity,
                        t.score
                    ),
                }
            })
            .collect(),
        formula: paperhub_app::FORMULA,
        thread: thread(&comments, visitor.account.as_ref().map(|a| a.id)),
        signed_in: visitor.account.is_some(),
        in_tags: in_tags
            .into_iter()
            .map(|(name, label)| {
                let href = crate::links::tag_path(&name);
                (name, label, href)
            })
            .collect(),
        my_tags,
        moderator: visitor
            .account
            .as_ref()
            .is_some_and(|a| a.role >= paperhub_core::Role::Moderator && !a.banned),
        similar_by_meaning: similar.by == SimilarBy::Semantic,
        similar: super::cards(&state, similar.hits.iter().map(|h| &h.paper)).await?,
    };
    Ok(render(&page, StatusCode::OK))
}
