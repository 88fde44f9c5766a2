//! Submissions in PostgreSQL.

use chrono::Utc;
use paperhub_store::{from_unix, to_unix, Result, StoreError, Submission, SubmissionStore};
use postgres::Row;

use crate::{map_err, PostgresStore};

fn decode(row: &Row) -> Submission {
    Submission {
        paper_key: row.get::<_, i64>(0) as u64,
        account_id: row.get::<_, Option<i64>>(1).map(|v| v as u64),
        submitter: row.get(2),
        created_at: from_unix(row.get(3)),
    }
}

impl SubmissionStore for PostgresStore {
    fn record_submission(&self, paper_key: u64, account_id: u64) -> Result<Submission> {
        let mut conn = self.conn()?;
        conn.execute(
            "INSERT INTO submissions (paper_key, account_id, created_at) \
             SELECT p.key, a.id, $3 FROM papers p, accounts a WHERE p.key = $1 AND a.id = $2 \
             ON CONFLICT DO NOTHING",
            &[
                &(paper_key as i64),
                &(account_id as i64),
                &to_unix(Utc::now()),
            ],
        )
        .map_err(map_err)?;
        drop(conn);
        self.first_submissions(&[paper_key])?
            .pop()
            .flatten()
            .ok_or(StoreError::NotFound)
    }

    fn first_submissions(&self, paper_keys: &[u64]) -> Result<Vec<Option<Submission>>> {
        if paper_keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<i64> = paper_keys.iter().map(|&k| k as i64).collect();
        let found: std::collections::HashMap<u64, Submission> = self
            .query(
                "SELECT DISTINCT ON (s.paper_key) s.paper_key, s.account_id, a.name, s.created_at \
                 FROM submissions s LEFT JOIN accounts a ON a.id = s.account_id \
                 WHERE s.paper_key = ANY($1) ORDER BY s.paper_key, s.id",
                &[&keys],
            )?
            .iter()
            .map(|row| {
                let submission = decode(row);
                (submission.paper_key, submission)
            })
            .collect();
        Ok(paper_keys.iter().map(|k| found.get(k).cloned()).collect())
    }
}
