//! Upvotes in PostgreSQL.

use chrono::Utc;
use paperhub_store::{to_unix, Result, StoreError, VoteStore};

use crate::{map_err, PostgresStore};

impl VoteStore for PostgresStore {
    fn set_vote(&self, account_id: u64, paper_key: u64, up: bool) -> Result<u64> {
        let mut conn = self.conn()?;
        let (account, key) = (account_id as i64, paper_key as i64);
        if up {
            conn.execute(
                "INSERT INTO votes (account_id, paper_key, created_at) \
                 SELECT a.id, p.key, $3 FROM accounts a, papers p WHERE a.id = $1 AND p.key = $2 \
                 ON CONFLICT DO NOTHING",
                &[&account, &key, &to_unix(Utc::now())],
            )
            .map_err(map_err)?;
        } else {
            conn.execute(
                "DELETE FROM votes WHERE account_id = $1 AND paper_key = $2",
                &[&account, &key],
            )
            .map_err(map_err)?;
        }
        let row = conn
            .query_one(
                "SELECT (SELECT COUNT(*) FROM papers WHERE key = $1), \
                        (SELECT COALESCE(MAX(n), 0) FROM vote_totals WHERE paper_key = $1)",
                &[&key],
            )
            .map_err(map_err)?;
        if row.get::<_, i64>(0) == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(row.get::<_, i64>(1) as u64)
    }

    fn vote_counts(&self, paper_ids: &[&str]) -> Result<Vec<u64>> {
        if paper_ids.is_empty() {
            return Ok(Vec::new());
        }
        let counts: std::collections::HashMap<String, u64> = self
            .query(
                "SELECT p.id, COALESCE(t.n, 0) FROM papers p \
                 LEFT JOIN vote_totals t ON t.paper_key = p.key \
                 WHERE p.id = ANY($1)",
                &[&paper_ids],
            )?
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
            .collect();
        Ok(paper_ids
            .iter()
            .map(|id| counts.get(*id).copied().unwrap_or(0))
            .collect())
    }

    fn voted(&self, account_id: u64, paper_keys: &[u64]) -> Result<Vec<bool>> {
        let keys: Vec<i64> = paper_keys.iter().map(|&k| k as i64).collect();
        let found: std::collections::HashSet<i64> = self
            .query(
                "SELECT paper_key FROM votes WHERE account_id = $1 AND paper_key = ANY($2)",
                &[&(account_id as i64), &keys],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        Ok(keys.iter().map(|k| found.contains(k)).collect())
    }

    fn voted_since(&self, since: i64, limit: usize) -> Result<Vec<(u64, u64)>> {
        Ok(self
            .query(
                "SELECT paper_key, COUNT(*) AS n FROM votes WHERE created_at >= $1 \
                 GROUP BY paper_key ORDER BY n DESC, paper_key LIMIT $2",
                &[&since, &(limit as i64)],
            )?
            .iter()
            .map(|r| (r.get::<_, i64>(0) as u64, r.get::<_, i64>(1) as u64))
            .collect())
    }
}
