//! Comments in SQLite.

use chrono::Utc;
use paperhub_store::{from_unix, to_unix, Comment, CommentStore, Result, StoreError};
use rusqlite::OptionalExtension;

use crate::SqliteStore;

const COLUMNS: &str = "c.id, c.paper_key, c.parent_id, c.account_id, a.name, c.body, \
                       c.created_at, c.edited_at, c.hidden, c.deleted";

fn row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Comment> {
    Ok(Comment {
        id: row.get::<_, i64>(0)? as u64,
        paper_key: row.get::<_, i64>(1)? as u64,
        parent_id: row.get::<_, Option<i64>>(2)?.map(|v| v as u64),
        account_id: row.get::<_, Option<i64>>(3)?.map(|v| v as u64),
        author: row.get(4)?,
        body: row.get(5)?,
        created_at: from_unix(row.get(6)?),
        edited_at: row.get::<_, Option<i64>>(7)?.map(from_unix),
        hidden: row.get(8)?,
        deleted: row.get(9)?,
    })
}

impl CommentStore for SqliteStore {
    fn add_comment(
        &self,
        paper_key: u64,
        account_id: u64,
        parent_id: Option<u64>,
        body: &str,
    ) -> Result<Comment> {
        let id = self.with_conn(|conn| {
            // Only a paper that exists, and a parent on the same paper.
            conn.prepare_cached(
                "INSERT INTO comments (paper_key, parent_id, account_id, body, created_at) \
                 SELECT p.key, ?2, ?3, ?4, ?5 FROM papers p WHERE p.key = ?1 \
                 AND (?2 IS NULL OR EXISTS (SELECT 1 FROM comments WHERE id = ?2 AND paper_key = ?1)) \
                 RETURNING id",
            )?
            .query_row(
                rusqlite::params![
                    paper_key as i64,
                    parent_id.map(|p| p as i64),
                    account_id as i64,
                    body,
                    to_unix(Utc::now())
                ],
                |r| r.get::<_, i64>(0),
            )
        })?;
        self.comment(id as u64)?.ok_or(StoreError::NotFound)
    }

    fn comment(&self, id: u64) -> Result<Option<Comment>> {
        self.with_conn(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM comments c LEFT JOIN accounts a ON a.id = c.account_id \
                 WHERE c.id = ?1"
            ))?
            .query_row([id as i64], row)
            .optional()
        })
    }

    fn comments(&self, paper_key: u64) -> Result<Vec<Comment>> {
        self.with_conn(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM comments c LEFT JOIN accounts a ON a.id = c.account_id \
                 WHERE c.paper_key = ?1 ORDER BY c.id"
            ))?
            .query_map([paper_key as i64], row)?
            .collect()
        })
    }

    fn edit_comment(&self, id: u64, body: &str) -> Result<()> {
        let changed = self.with_conn(|conn| {
            conn.prepare_cached("UPDATE comments SET body = ?2, edited_at = ?3 WHERE id = ?1")?
                .execute(rusqlite::params![id as i64, body, to_unix(Utc::now())])
        })?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    fn mark_comment(&self, id: u64, hidden: Option<bool>, deleted: Option<bool>) -> Result<()> {
        let changed = self.with_conn(|conn| {
            conn.prepare_cached(
                "UPDATE comments SET hidden = COALESCE(?2, hidden), deleted = COALESCE(?3, deleted) \
                 WHERE id = ?1",
            )?
            .execute(rusqlite::params![id as i64, hidden, deleted])
        })?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    fn comment_counts(&self, paper_keys: &[u64]) -> Result<Vec<u64>> {
        // One read transaction for every paper (see `keys_of`).
        self.with_conn(|conn| {
            let tx = conn.transaction()?;
            let counts = {
                let mut stmt = tx.prepare_cached(
                    "SELECT COUNT(*) FROM comments \
                     WHERE paper_key = ?1 AND NOT hidden AND NOT deleted",
                )?;
                paper_keys
                    .iter()
                    .map(|&key| {
                        stmt.query_row([key as i64], |r| r.get::<_, i64>(0))
                            .map(|n| n as u64)
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()?
            };
            tx.commit()?;
            Ok(counts)
        })
    }
}
