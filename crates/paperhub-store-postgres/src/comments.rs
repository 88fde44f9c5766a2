//! Comments in PostgreSQL.

use chrono::Utc;
use paperhub_store::{from_unix, to_unix, Comment, CommentStore, Result, StoreError};
use postgres::Row;

use crate::{map_err, PostgresStore};

const COLUMNS: &str = "c.id, c.paper_key, c.parent_id, c.account_id, a.name, c.body, \
                       c.created_at, c.edited_at, c.hidden, c.deleted";

fn decode(row: &Row) -> Comment {
    Comment {
        id: row.get::<_, i64>(0) as u64,
        paper_key: row.get::<_, i64>(1) as u64,
        parent_id: row.get::<_, Option<i64>>(2).map(|v| v as u64),
        account_id: row.get::<_, Option<i64>>(3).map(|v| v as u64),
        author: row.get(4),
        body: row.get(5),
        created_at: from_unix(row.get(6)),
        edited_at: row.get::<_, Option<i64>>(7).map(from_unix),
        hidden: row.get(8),
        deleted: row.get(9),
    }
}

impl PostgresStore {
    fn change_comment(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<()> {
        let mut conn = self.conn()?;
        if conn.execute(sql, params).map_err(map_err)? == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

impl CommentStore for PostgresStore {
    fn add_comment(
        &self,
        paper_key: u64,
        account_id: u64,
        parent_id: Option<u64>,
        body: &str,
    ) -> Result<Comment> {
        let rows = self.query(
            "INSERT INTO comments (paper_key, parent_id, account_id, body, created_at) \
             SELECT p.key, $2, $3, $4, $5 FROM papers p WHERE p.key = $1 \
             AND ($2::BIGINT IS NULL OR EXISTS (SELECT 1 FROM comments WHERE id = $2 AND paper_key = $1)) \
             RETURNING id",
            &[
                &(paper_key as i64),
                &parent_id.map(|p| p as i64),
                &(account_id as i64),
                &body,
                &to_unix(Utc::now()),
            ],
        )?;
        let id: i64 = rows.first().ok_or(StoreError::NotFound)?.get(0);
        self.comment(id as u64)?.ok_or(StoreError::NotFound)
    }

    fn comment(&self, id: u64) -> Result<Option<Comment>> {
        Ok(self
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM comments c LEFT JOIN accounts a ON a.id = c.account_id \
                     WHERE c.id = $1"
                ),
                &[&(id as i64)],
            )?
            .first()
            .map(decode))
    }

    fn comments(&self, paper_key: u64) -> Result<Vec<Comment>> {
        Ok(self
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM comments c LEFT JOIN accounts a ON a.id = c.account_id \
                     WHERE c.paper_key = $1 ORDER BY c.id"
                ),
                &[&(paper_key as i64)],
            )?
            .iter()
            .map(decode)
            .collect())
    }

    fn edit_comment(&self, id: u64, body: &str) -> Result<()> {
        self.change_comment(
            "UPDATE comments SET body = $2, edited_at = $3 WHERE id = $1",
            &[&(id as i64), &body, &to_unix(Utc::now())],
        )
    }

    fn mark_comment(&self, id: u64, hidden: Option<bool>, deleted: Option<bool>) -> Result<()> {
        self.change_comment(
            "UPDATE comments SET hidden = COALESCE($2, hidden), deleted = COALESCE($3, deleted) \
             WHERE id = $1",
            &[&(id as i64), &hidden, &deleted],
        )
    }

    fn comment_counts(&self, paper_keys: &[u64]) -> Result<Vec<u64>> {
        let keys: Vec<i64> = paper_keys.iter().map(|&k| k as i64).collect();
        let counts: std::collections::HashMap<i64, i64> = self
            .query(
                "SELECT paper_key, COUNT(*) FROM comments \
                 WHERE paper_key = ANY($1) AND NOT hidden AND NOT deleted GROUP BY paper_key",
                &[&keys],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        Ok(keys
            .iter()
            .map(|k| counts.get(k).copied().unwrap_or(0) as u64)
            .collect())
    }
}
