//! Versioned schema migrations, applied in order on open.
//!
//! Each file in `migrations/` is one version; `PRAGMA user_version` holds the number applied.
//! A migration runs in a transaction together with the version bump, so a crash mid-way
//! leaves the previous version intact.

use anyhow::Context;
use rusqlite::Connection;

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_papers", include_str!("../migrations/0001_papers.sql")),
    (
        "0002_embeddings",
        include_str!("../migrations/0002_embeddings.sql"),
    ),
    (
        "0003_embedding_changes",
        include_str!("../migrations/0003_embedding_changes.sql"),
    ),
    (
        "0004_accounts",
        include_str!("../migrations/0004_accounts.sql"),
    ),
    ("0005_votes", include_str!("../migrations/0005_votes.sql")),
    (
        "0006_votes_by_time",
        include_str!("../migrations/0006_votes_by_time.sql"),
    ),
    (
        "0007_comments",
        include_str!("../migrations/0007_comments.sql"),
    ),
    (
        "0008_account_names",
        include_str!("../migrations/0008_account_names.sql"),
    ),
    (
        "0009_submissions",
        include_str!("../migrations/0009_submissions.sql"),
    ),
    (
        "0010_sessions",
        include_str!("../migrations/0010_sessions.sql"),
    ),
    (
        "0011_vote_totals",
        include_str!("../migrations/0011_vote_totals.sql"),
    ),
    ("0012_mail", include_str!("../migrations/0012_mail.sql")),
    (
        "0013_email_confirmation",
        include_str!("../migrations/0013_email_confirmation.sql"),
    ),
    (
        "0014_library",
        include_str!("../migrations/0014_library.sql"),
    ),
    (
        "0015_saved_searches",
        include_str!("../migrations/0015_saved_searches.sql"),
    ),
];

/// Applies every migration newer than the database's `user_version`.
pub fn apply(conn: &mut Connection) -> anyhow::Result<()> {
    let current: usize =
        conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
    paperhub_store::check_schema_version(current as u32, MIGRATIONS.len() as u32)?;
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .with_context(|| format!("applying migration {name}"))?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
        tx.commit()
            .with_context(|| format!("committing migration {name}"))?;
    }
    Ok(())
}
