//! Submissions in SQLite.

use chrono::Utc;
use paperhub_store::{from_unix, to_unix, Result, StoreError, Submission, SubmissionStore};
use rusqlite::{OptionalExtension, TransactionBehavior};

use crate::SqliteStore;

/// The first submission of paper `?1`, with its submitter's name.
const FIRST: &str = "SELECT s.paper_key, s.account_id, a.name, s.created_at FROM submissions s \
                     LEFT JOIN accounts a ON a.id = s.account_id \
                     WHERE s.paper_key = ?1 ORDER BY s.id LIMIT 1";

fn row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Submission> {
    Ok(Submission {
        paper_key: row.get::<_, i64>(0)? as u64,
        account_id: row.get::<_, Option<i64>>(1)?.map(|v| v as u64),
        submitter: row.get(2)?,
        created_at: from_unix(row.get(3)?),
    })
}

impl SubmissionStore for SqliteStore {
    fn record_submission(&self, paper_key: u64, account_id: u64) -> Result<Submission> {
        let first = self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.prepare_cached(
                "INSERT OR IGNORE INTO submissions (paper_key, account_id, created_at) \
                 SELECT p.key, a.id, ?3 FROM papers p, accounts a WHERE p.key = ?1 AND a.id = ?2",
            )?
            .execute(rusqlite::params![
                paper_key as i64,
                account_id as i64,
                to_unix(Utc::now())
            ])?;
            let first = tx
                .prepare_cached(FIRST)?
                .query_row([paper_key as i64], row)
                .optional()?;
            tx.commit()?;
            Ok(first)
        })?;
        first.ok_or(StoreError::NotFound)
    }

    fn first_submissions(&self, paper_keys: &[u64]) -> Result<Vec<Option<Submission>>> {
        // One read transaction for every paper (see `keys_of`).
        self.with_conn(|conn| {
            let tx = conn.transaction()?;
            let found = {
                let mut stmt = tx.prepare_cached(FIRST)?;
                paper_keys
                    .iter()
                    .map(|&key| stmt.query_row([key as i64], row).optional())
                    .collect::<rusqlite::Result<Vec<_>>>()?
            };
            tx.commit()?;
            Ok(found)
        })
    }
}
