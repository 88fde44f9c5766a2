//! Members' libraries in SQLite.

use chrono::{DateTime, NaiveDate, Utc};
use paperhub_store::{
    from_unix, to_unix, Label, LibraryStore, Result, SavedSearch, StoreError, TagEntry, TagSummary,
};
use rusqlite::{OptionalExtension, TransactionBehavior};

use crate::SqliteStore;

/// The id of account `account`'s tag `tag`, if it has one.
fn tag_id(conn: &rusqlite::Connection, account: u64, tag: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT id FROM library_tags WHERE account_id = ?1 AND name = ?2")?
        .query_row(rusqlite::params![account as i64, tag], |r| r.get(0))
        .optional()
}

impl LibraryStore for SqliteStore {
    fn label_papers(
        &self,
        account_id: u64,
        tag: &str,
        paper_keys: &[u64],
        label: Label,
    ) -> Result<u64> {
        let now = to_unix(Utc::now());
        let changed = self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let accounts: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM accounts WHERE id = ?1")?
                .query_row([account_id as i64], |r| r.get(0))?;
            if accounts == 0 {
                return Ok(None);
            }
            tx.prepare_cached(
                "INSERT OR IGNORE INTO library_tags (account_id, name, created_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(rusqlite::params![account_id as i64, tag, now])?;
            let Some(id) = tag_id(&tx, account_id, tag)? else {
                return Ok(None);
            };
            let mut changed = 0;
            {
                let mut exists = tx.prepare_cached("SELECT COUNT(*) FROM papers WHERE key = ?1")?;
                let mut put = tx.prepare_cached(
                    "INSERT INTO library_entries (tag_id, paper_key, label, added_at) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (tag_id, paper_key) DO UPDATE SET label = excluded.label, \
                     added_at = excluded.added_at WHERE library_entries.label <> excluded.label",
                )?;
                for &key in paper_keys {
                    if exists.query_row([key as i64], |r| r.get::<_, i64>(0))? == 0 {
                        // Dropping the transaction rolls every entry of this call back.
                        return Ok(None);
                    }
                    changed += put.execute(rusqlite::params![id, key as i64, label.to_db(), now])? as u64;
                }
            }
            tx.commit()?;
            Ok(Some(changed))
        })?;
        changed.ok_or(StoreError::NotFound)
    }

    fn unlabel_paper(&self, account_id: u64, tag: &str, paper_key: u64) -> Result<bool> {
        self.with_conn(|conn| {
            let removed = conn
                .prepare_cached(
                    "DELETE FROM library_entries WHERE paper_key = ?3 AND tag_id = \
                     (SELECT id FROM library_tags WHERE account_id = ?1 AND name = ?2)",
                )?
                .execute(rusqlite::params![account_id as i64, tag, paper_key as i64])?;
            Ok(removed > 0)
        })
    }

    fn clear_label(&self, account_id: u64, tag: &str, label: Label) -> Result<u64> {
        self.with_conn(|conn| {
            let removed = conn
                .prepare_cached(
                    "DELETE FROM library_entries WHERE label = ?3 AND tag_id = \
                     (SELECT id FROM library_tags WHERE account_id = ?1 AND name = ?2)",
                )?
                .execute(rusqlite::params![account_id as i64, tag, label.to_db()])?;
            Ok(removed as u64)
        })
    }

    fn tags(&self, account_id: u64) -> Result<Vec<TagSummary>> {
        self.with_conn(|conn| {
            conn.prepare_cached(
                "SELECT t.name, t.created_at, \
                        COALESCE(SUM(e.label = 1), 0), COALESCE(SUM(e.label = -1), 0) \
                 FROM library_tags t LEFT JOIN library_entries e ON e.tag_id = t.id \
                 WHERE t.account_id = ?1 GROUP BY t.id ORDER BY t.name",
            )?
            .query_map([account_id as i64], |r| {
                Ok(TagSummary {
                    name: r.get(0)?,
                    created_at: from_unix(r.get(1)?),
                    saved: r.get::<_, i64>(2)? as u64,
                    rejected: r.get::<_, i64>(3)? as u64,
                })
            })?
            .collect()
        })
    }

    fn tag_entries(&self, account_id: u64, tag: &str) -> Result<Option<Vec<TagEntry>>> {
        self.with_conn(|conn| {
            let tx = conn.transaction()?;
            let Some(id) = tag_id(&tx, account_id, tag)? else {
                return Ok(None);
            };
            let entries = tx
                .prepare_cached(
                    "SELECT paper_key, label, added_at FROM library_entries WHERE tag_id = ?1 \
                     ORDER BY added_at, paper_key",
                )?
                .query_map([id], |r| {
                    Ok(TagEntry {
                        paper_key: r.get::<_, i64>(0)? as u64,
                        label: Label::from_db(r.get(1)?),
                        added_at: from_unix(r.get(2)?),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            tx.commit()?;
            Ok(Some(entries))
        })
    }

    fn delete_tag(&self, account_id: u64, tag: &str) -> Result<bool> {
        self.with_conn(|conn| {
            let removed = conn
                .prepare_cached("DELETE FROM library_tags WHERE account_id = ?1 AND name = ?2")?
                .execute(rusqlite::params![account_id as i64, tag])?;
            Ok(removed > 0)
        })
    }

    fn tags_of(&self, account_id: u64, paper_key: u64) -> Result<Vec<(String, Label)>> {
        self.with_conn(|conn| {
            conn.prepare_cached(
                "SELECT t.name, e.label FROM library_entries e JOIN library_tags t ON t.id = e.tag_id \
                 WHERE t.account_id = ?1 AND e.paper_key = ?2 ORDER BY t.name",
            )?
            .query_map([account_id as i64, paper_key as i64], |r| {
                Ok((r.get(0)?, Label::from_db(r.get(1)?)))
            })?
            .collect()
        })
    }

    fn set_note(&self, account_id: u64, paper_key: u64, body: Option<&str>) -> Result<()> {
        let body = body.map(str::trim).filter(|b| !b.is_empty());
        let papers = self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let papers: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM papers WHERE key = ?1")?
                .query_row([paper_key as i64], |r| r.get(0))?;
            match body {
                Some(body) if papers > 0 => {
                    tx.prepare_cached(
                        "INSERT INTO library_notes (account_id, paper_key, body, updated_at) \
                         SELECT id, ?2, ?3, ?4 FROM accounts WHERE id = ?1 \
                         ON CONFLICT (account_id, paper_key) DO UPDATE SET body = excluded.body, \
                         updated_at = excluded.updated_at",
                    )?
                    .execute(rusqlite::params![
                        account_id as i64,
                        paper_key as i64,
                        body,
                        to_unix(Utc::now())
                    ])?;
                }
                _ => {
                    tx.prepare_cached(
                        "DELETE FROM library_notes WHERE account_id = ?1 AND paper_key = ?2",
                    )?
                    .execute([account_id as i64, paper_key as i64])?;
                }
            }
            tx.commit()?;
            Ok(papers)
        })?;
        if papers == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    fn notes(&self, account_id: u64, paper_keys: &[u64]) -> Result<Vec<Option<String>>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT body FROM library_notes WHERE account_id = ?1 AND paper_key = ?2",
            )?;
            paper_keys
                .iter()
                .map(|&key| {
                    stmt.query_row([account_id as i64, key as i64], |r| r.get(0))
                        .optional()
                })
                .collect()
        })
    }

    fn mark_seen(&self, account_id: u64, paper_keys: &[u64]) -> Result<()> {
        let now = to_unix(Utc::now());
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT OR IGNORE INTO seen_papers (account_id, paper_key, seen_at) \
                     SELECT a.id, p.key, ?3 FROM accounts a, papers p WHERE a.id = ?1 AND p.key = ?2",
                )?;
                for &key in paper_keys {
                    stmt.execute(rusqlite::params![account_id as i64, key as i64, now])?;
                }
            }
            tx.commit()
        })
    }

    fn seen(&self, account_id: u64, paper_keys: &[u64]) -> Result<Vec<bool>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM seen_papers WHERE account_id = ?1 AND paper_key = ?2)",
            )?;
            paper_keys
                .iter()
                .map(|&key| stmt.query_row([account_id as i64, key as i64], |r| r.get(0)))
                .collect()
        })
    }

    fn save_search(&self, account_id: u64, search: &SavedSearch) -> Result<bool> {
        let day = |d: Option<NaiveDate>| d.map(|d| d.to_string());
        let outcome = self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let accounts: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM accounts WHERE id = ?1")?
                .query_row([account_id as i64], |r| r.get(0))?;
            if accounts == 0 {
                return Ok(None);
            }
            let held: i64 = tx
                .prepare_cached(
                    "SELECT COUNT(*) FROM saved_searches WHERE account_id = ?1 AND name = ?2",
                )?
                .query_row(rusqlite::params![account_id as i64, search.name], |r| {
                    r.get(0)
                })?;
            tx.prepare_cached(
                "INSERT INTO saved_searches \
                 (account_id, name, q, mode, author, category, from_day, until_day, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                 ON CONFLICT (account_id, name) DO UPDATE SET q = excluded.q, mode = excluded.mode, \
                 author = excluded.author, category = excluded.category, \
                 from_day = excluded.from_day, until_day = excluded.until_day",
            )?
            .execute(rusqlite::params![
                account_id as i64,
                search.name,
                search.q,
                search.mode,
                search.author,
                search.category,
                day(search.from),
                day(search.until),
                to_unix(search.created_at)
            ])?;
            tx.commit()?;
            Ok(Some(held == 0))
        })?;
        outcome.ok_or(StoreError::NotFound)
    }

    fn saved_searches(&self, account_id: u64) -> Result<Vec<SavedSearch>> {
        let day = |text: Option<String>| text.and_then(|t| t.parse().ok());
        self.with_conn(|conn| {
            conn.prepare_cached(
                "SELECT name, q, mode, author, category, from_day, until_day, created_at \
                 FROM saved_searches WHERE account_id = ?1 ORDER BY name",
            )?
            .query_map([account_id as i64], |r| {
                Ok(SavedSearch {
                    name: r.get(0)?,
                    q: r.get(1)?,
                    mode: r.get(2)?,
                    author: r.get(3)?,
                    category: r.get(4)?,
                    from: day(r.get(5)?),
                    until: day(r.get(6)?),
                    created_at: from_unix(r.get(7)?),
                })
            })?
            .collect()
        })
    }

    fn delete_saved_search(&self, account_id: u64, name: &str) -> Result<bool> {
        self.with_conn(|conn| {
            let removed = conn
                .prepare_cached("DELETE FROM saved_searches WHERE account_id = ?1 AND name = ?2")?
                .execute(rusqlite::params![account_id as i64, name])?;
            Ok(removed > 0)
        })
    }

    fn set_feed_token(
        &self,
        account_id: u64,
        token_hash: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let found = self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let accounts: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM accounts WHERE id = ?1")?
                .query_row([account_id as i64], |r| r.get(0))?;
            tx.prepare_cached("DELETE FROM feed_tokens WHERE account_id = ?1")?
                .execute([account_id as i64])?;
            if let (Some(hash), true) = (token_hash, accounts > 0) {
                tx.prepare_cached(
                    "INSERT INTO feed_tokens (account_id, token_hash, created_at) VALUES (?1, ?2, ?3)",
                )?
                .execute(rusqlite::params![account_id as i64, hash, to_unix(now)])?;
            }
            tx.commit()?;
            Ok(accounts > 0)
        })?;
        if found {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    fn feed_token_account(&self, token_hash: &str) -> Result<Option<u64>> {
        self.with_conn(|conn| {
            conn.prepare_cached("SELECT account_id FROM feed_tokens WHERE token_hash = ?1")?
                .query_row([token_hash], |r| r.get::<_, i64>(0))
                .optional()
                .map(|id| id.map(|id| id as u64))
        })
    }

    fn feed_token_made(&self, account_id: u64) -> Result<Option<DateTime<Utc>>> {
        self.with_conn(|conn| {
            conn.prepare_cached("SELECT created_at FROM feed_tokens WHERE account_id = ?1")?
                .query_row([account_id as i64], |r| r.get(0))
                .optional()
                .map(|t| t.map(from_unix))
        })
    }
}
