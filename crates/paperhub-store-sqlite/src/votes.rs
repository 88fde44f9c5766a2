//! Upvotes in SQLite.

use chrono::Utc;
use paperhub_store::{to_unix, Result, StoreError, VoteStore};
use rusqlite::TransactionBehavior;

use crate::SqliteStore;

impl VoteStore for SqliteStore {
    fn set_vote(&self, account_id: u64, paper_key: u64, up: bool) -> Result<u64> {
        let (papers, votes) = self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if up {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO votes (account_id, paper_key, created_at) \
                     SELECT a.id, p.key, ?3 FROM accounts a, papers p WHERE a.id = ?1 AND p.key = ?2",
                )?
                .execute(rusqlite::params![
                    account_id as i64,
                    paper_key as i64,
                    to_unix(Utc::now())
                ])?;
            } else {
                tx.prepare_cached("DELETE FROM votes WHERE account_id = ?1 AND paper_key = ?2")?
                    .execute([account_id as i64, paper_key as i64])?;
            }
            let counts: (i64, i64) = tx
                .prepare_cached(
                    "SELECT (SELECT COUNT(*) FROM papers WHERE key = ?1), \
                            (SELECT COALESCE(MAX(n), 0) FROM vote_totals WHERE paper_key = ?1)",
                )?
                .query_row([paper_key as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
            tx.commit()?;
            Ok(counts)
        })?;
        if papers == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(votes as u64)
    }

    fn vote_counts(&self, paper_ids: &[&str]) -> Result<Vec<u64>> {
        // One read transaction for every paper (see `keys_of`).
        self.with_conn(|conn| {
            let tx = conn.transaction()?;
            let counts = {
                let mut stmt = tx.prepare_cached(
                    "SELECT COALESCE((SELECT t.n FROM papers p JOIN vote_totals t \
                     ON t.paper_key = p.key WHERE p.id = ?1), 0)",
                )?;
                paper_ids
                    .iter()
                    .map(|id| {
                        stmt.query_row([id], |r| r.get::<_, i64>(0))
                            .map(|n| n as u64)
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()?
            };
            tx.commit()?;
            Ok(counts)
        })
    }

    fn voted(&self, account_id: u64, paper_keys: &[u64]) -> Result<Vec<bool>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM votes WHERE account_id = ?1 AND paper_key = ?2)",
            )?;
            paper_keys
                .iter()
                .map(|&key| stmt.query_row([account_id as i64, key as i64], |r| r.get(0)))
                .collect()
        })
    }

    fn voted_since(&self, since: i64, limit: usize) -> Result<Vec<(u64, u64)>> {
        self.with_conn(|conn| {
            conn.prepare_cached(
                "SELECT paper_key, COUNT(*) AS n FROM votes WHERE created_at >= ?1 \
                 GROUP BY paper_key ORDER BY n DESC, paper_key LIMIT ?2",
            )?
            .query_map([since, limit as i64], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
            })?
            .collect()
        })
    }
}
