//! Versioned schema migrations, applied in order on open.
//!
//! Each file in `migrations/` is one version; `paperhub_schema` records the versions applied.
//! All of it runs in one transaction under an advisory lock: nodes starting at the same time
//! migrate once, and a crash mid-way leaves the previous version intact.

use anyhow::Context as _;
use postgres::Client;

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_papers", include_str!("../migrations/0001_papers.sql")),
    (
        "0002_accounts",
        include_str!("../migrations/0002_accounts.sql"),
    ),
    ("0003_votes", include_str!("../migrations/0003_votes.sql")),
    (
        "0004_votes_by_time",
        include_str!("../migrations/0004_votes_by_time.sql"),
    ),
    (
        "0005_comments",
        include_str!("../migrations/0005_comments.sql"),
    ),
    (
        "0006_account_names",
        include_str!("../migrations/0006_account_names.sql"),
    ),
    (
        "0007_submissions",
        include_str!("../migrations/0007_submissions.sql"),
    ),
    (
        "0008_sessions",
        include_str!("../migrations/0008_sessions.sql"),
    ),
    (
        "0009_vote_totals",
        include_str!("../migrations/0009_vote_totals.sql"),
    ),
    ("0010_mail", include_str!("../migrations/0010_mail.sql")),
    (
        "0011_email_confirmation",
        include_str!("../migrations/0011_email_confirmation.sql"),
    ),
    (
        "0012_library",
        include_str!("../migrations/0012_library.sql"),
    ),
    (
        "0013_saved_searches",
        include_str!("../migrations/0013_saved_searches.sql"),
    ),
];

/// The newest schema version this binary knows.
pub const LATEST: u32 = MIGRATIONS.len() as u32;

/// Applies every migration newer than the database's version; refuses a newer database.
pub fn apply(client: &mut Client) -> anyhow::Result<()> {
    let mut tx = client.transaction()?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('paperhub:migrate:' || current_schema()))",
        &[],
    )
    .context("taking the migration lock")?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS paperhub_schema (
             version    INTEGER     PRIMARY KEY,
             name       TEXT        NOT NULL,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .context("creating the schema version table")?;
    let current: i32 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM paperhub_schema", &[])?
        .get(0);
    paperhub_store::check_schema_version(current as u32, LATEST)?;
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.batch_execute(sql)
            .with_context(|| format!("applying migration {name}"))?;
        tx.execute(
            "INSERT INTO paperhub_schema (version, name) VALUES ($1, $2)",
            &[&(index as i32 + 1), name],
        )?;
    }
    tx.commit().context("committing the migrations")?;
    Ok(())
}
