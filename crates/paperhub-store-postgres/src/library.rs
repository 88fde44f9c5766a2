//! Members' libraries in PostgreSQL.

use chrono::{DateTime, NaiveDate, Utc};
use paperhub_store::{
    from_unix, to_unix, Label, LibraryStore, Result, SavedSearch, StoreError, TagEntry, TagSummary,
};

use crate::{map_err, PostgresStore};

impl LibraryStore for PostgresStore {
    fn label_papers(
        &self,
        account_id: u64,
        tag: &str,
        paper_keys: &[u64],
        label: Label,
    ) -> Result<u64> {
        let now = to_unix(Utc::now());
        let account = account_id as i64;
        let keys: Vec<i64> = paper_keys.iter().map(|&k| k as i64).collect();
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(map_err)?;
        let mut distinct = keys;
        distinct.sort_unstable();
        distinct.dedup();
        let row = tx
            .query_one(
                "SELECT (SELECT COUNT(*) FROM accounts WHERE id = $1), \
                        (SELECT COUNT(*) FROM papers WHERE key = ANY($2))",
                &[&account, &distinct],
            )
            .map_err(map_err)?;
        let (accounts, papers): (i64, i64) = (row.get(0), row.get(1));
        if accounts == 0 || papers != distinct.len() as i64 {
            return Err(StoreError::NotFound);
        }
        tx.execute(
            "INSERT INTO library_tags (account_id, name, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id, name) DO NOTHING",
            &[&account, &tag, &now],
        )
        .map_err(map_err)?;
        let changed = tx
            .execute(
                "INSERT INTO library_entries (tag_id, paper_key, label, added_at) \
                 SELECT t.id, k, $4, $5 FROM library_tags t, UNNEST($3::BIGINT[]) AS k \
                 WHERE t.account_id = $1 AND t.name = $2 \
                 ON CONFLICT (tag_id, paper_key) DO UPDATE SET label = excluded.label, \
                 added_at = excluded.added_at WHERE library_entries.label <> excluded.label",
                &[&account, &tag, &distinct, &label.to_db(), &now],
            )
            .map_err(map_err)?;
        tx.commit().map_err(map_err)?;
        Ok(changed)
    }

    fn unlabel_paper(&self, account_id: u64, tag: &str, paper_key: u64) -> Result<bool> {
        let mut conn = self.conn()?;
        let removed = conn
            .execute(
                "DELETE FROM library_entries WHERE paper_key = $3 AND tag_id = \
                 (SELECT id FROM library_tags WHERE account_id = $1 AND name = $2)",
                &[&(account_id as i64), &tag, &(paper_key as i64)],
            )
            .map_err(map_err)?;
        Ok(removed > 0)
    }

    fn clear_label(&self, account_id: u64, tag: &str, label: Label) -> Result<u64> {
        let mut conn = self.conn()?;
        conn.execute(
            "DELETE FROM library_entries WHERE label = $3 AND tag_id = \
             (SELECT id FROM library_tags WHERE account_id = $1 AND name = $2)",
            &[&(account_id as i64), &tag, &label.to_db()],
        )
        .map_err(map_err)
    }

    fn tags(&self, account_id: u64) -> Result<Vec<TagSummary>> {
        Ok(self
            .query(
                "SELECT t.name, t.created_at, \
                        COUNT(*) FILTER (WHERE e.label = 1), COUNT(*) FILTER (WHERE e.label = -1) \
                 FROM library_tags t LEFT JOIN library_entries e ON e.tag_id = t.id \
                 WHERE t.account_id = $1 GROUP BY t.id ORDER BY t.name COLLATE \"C\"",
                &[&(account_id as i64)],
            )?
            .iter()
            .map(|r| TagSummary {
                name: r.get(0),
                created_at: from_unix(r.get(1)),
                saved: r.get::<_, i64>(2) as u64,
                rejected: r.get::<_, i64>(3) as u64,
            })
            .collect())
    }

    fn tag_entries(&self, account_id: u64, tag: &str) -> Result<Option<Vec<TagEntry>>> {
        // One statement: the tag's existence and its entries from one snapshot.
        let rows = self.query(
            "SELECT e.paper_key, e.label, e.added_at FROM library_tags t \
             LEFT JOIN library_entries e ON e.tag_id = t.id \
             WHERE t.account_id = $1 AND t.name = $2 ORDER BY e.added_at, e.paper_key",
            &[&(account_id as i64), &tag],
        )?;
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            rows.iter()
                .filter_map(|r| {
                    let key: Option<i64> = r.get(0);
                    key.map(|key| TagEntry {
                        paper_key: key as u64,
                        label: Label::from_db(r.get(1)),
                        added_at: from_unix(r.get(2)),
                    })
                })
                .collect(),
        ))
    }

    fn delete_tag(&self, account_id: u64, tag: &str) -> Result<bool> {
        let mut conn = self.conn()?;
        let removed = conn
            .execute(
                "DELETE FROM library_tags WHERE account_id = $1 AND name = $2",
                &[&(account_id as i64), &tag],
            )
            .map_err(map_err)?;
        Ok(removed > 0)
    }

    fn tags_of(&self, account_id: u64, paper_key: u64) -> Result<Vec<(String, Label)>> {
        Ok(self
            .query(
                "SELECT t.name, e.label FROM library_entries e JOIN library_tags t ON t.id = e.tag_id \
                 WHERE t.account_id = $1 AND e.paper_key = $2 ORDER BY t.name COLLATE \"C\"",
                &[&(account_id as i64), &(paper_key as i64)],
            )?
            .iter()
            .map(|r| (r.get(0), Label::from_db(r.get(1))))
            .collect())
    }

    fn set_note(&self, account_id: u64, paper_key: u64, body: Option<&str>) -> Result<()> {
        let body = body.map(str::trim).filter(|b| !b.is_empty());
        let (account, key) = (account_id as i64, paper_key as i64);
        let mut conn = self.conn()?;
        let papers: i64 = conn
            .query_one("SELECT COUNT(*) FROM papers WHERE key = $1", &[&key])
            .map_err(map_err)?
            .get(0);
        if papers == 0 {
            return Err(StoreError::NotFound);
        }
        match body {
            Some(body) => conn.execute(
                "INSERT INTO library_notes (account_id, paper_key, body, updated_at) \
                 SELECT id, $2, $3, $4 FROM accounts WHERE id = $1 \
                 ON CONFLICT (account_id, paper_key) DO UPDATE SET body = excluded.body, \
                 updated_at = excluded.updated_at",
                &[&account, &key, &body, &to_unix(Utc::now())],
            ),
            None => conn.execute(
                "DELETE FROM library_notes WHERE account_id = $1 AND paper_key = $2",
                &[&account, &key],
            ),
        }
        .map_err(map_err)?;
        Ok(())
    }

    fn notes(&self, account_id: u64, paper_keys: &[u64]) -> Result<Vec<Option<String>>> {
        let keys: Vec<i64> = paper_keys.iter().map(|&k| k as i64).collect();
        let found: std::collections::HashMap<i64, String> = self
            .query(
                "SELECT paper_key, body FROM library_notes WHERE account_id = $1 AND paper_key = ANY($2)",
                &[&(account_id as i64), &keys],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
    }

    fn mark_seen(&self, account_id: u64, paper_keys: &[u64]) -> Result<()> {
        let keys: Vec<i64> = paper_keys.iter().map(|&k| k as i64).collect();
        let mut conn = self.conn()?;
        conn.execute(
            "INSERT INTO seen_papers (account_id, paper_key, seen_at) \
             SELECT a.id, p.key, $3 FROM accounts a JOIN papers p ON p.key = ANY($2) WHERE a.id = $1 \
             ON CONFLICT DO NOTHING",
            &[&(account_id as i64), &keys, &to_unix(Utc::now())],
        )
        .map_err(map_err)?;
        Ok(())
    }

    fn seen(&self, account_id: u64, paper_keys: &[u64]) -> Result<Vec<bool>> {
        let keys: Vec<i64> = paper_keys.iter().map(|&k| k as i64).collect();
        let found: std::collections::HashSet<i64> = self
            .query(
                "SELECT paper_key FROM seen_papers WHERE account_id = $1 AND paper_key = ANY($2)",
                &[&(account_id as i64), &keys],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        Ok(keys.iter().map(|k| found.contains(k)).collect())
    }

    fn save_search(&self, account_id: u64, search: &SavedSearch) -> Result<bool> {
        let day = |d: Option<NaiveDate>| d.map(|d| d.to_string());
        let mut conn = self.conn()?;
        // `xmax = 0` tells a row the upsert inserted from one it updated.
        let rows = conn
            .query(
                "INSERT INTO saved_searches \
                 (account_id, name, q, mode, author, category, from_day, until_day, created_at) \
                 SELECT id, $2, $3, $4, $5, $6, $7, $8, $9 FROM accounts WHERE id = $1 \
                 ON CONFLICT (account_id, name) DO UPDATE SET q = excluded.q, mode = excluded.mode, \
                 author = excluded.author, category = excluded.category, \
                 from_day = excluded.from_day, until_day = excluded.until_day \
                 RETURNING (xmax = 0)",
                &[
                    &(account_id as i64),
                    &search.name,
                    &search.q,
                    &search.mode,
                    &search.author,
                    &search.category,
                    &day(search.from),
                    &day(search.until),
                    &to_unix(search.created_at),
                ],
            )
            .map_err(map_err)?;
        match rows.first() {
            Some(row) => Ok(row.get(0)),
            None => Err(StoreError::NotFound),
        }
    }

    fn saved_searches(&self, account_id: u64) -> Result<Vec<SavedSearch>> {
        let day = |text: Option<String>| text.and_then(|t| t.parse().ok());
        Ok(self
            .query(
                "SELECT name, q, mode, author, category, from_day, until_day, created_at \
                 FROM saved_searches WHERE account_id = $1 ORDER BY name COLLATE \"C\"",
                &[&(account_id as i64)],
            )?
            .iter()
            .map(|r| SavedSearch {
                name: r.get(0),
                q: r.get(1),
                mode: r.get(2),
                author: r.get(3),
                category: r.get(4),
                from: day(r.get(5)),
                until: day(r.get(6)),
                created_at: from_unix(r.get(7)),
            })
            .collect())
    }

    fn delete_saved_search(&self, account_id: u64, name: &str) -> Result<bool> {
        let mut conn = self.conn()?;
        let removed = conn
            .execute(
                "DELETE FROM saved_searches WHERE account_id = $1 AND name = $2",
                &[&(account_id as i64), &name],
            )
            .map_err(map_err)?;
        Ok(removed > 0)
    }

    fn set_feed_token(
        &self,
        account_id: u64,
        token_hash: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let account = account_id as i64;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(map_err)?;
        let accounts: i64 = tx
            .query_one("SELECT COUNT(*) FROM accounts WHERE id = $1", &[&account])
            .map_err(map_err)?
            .get(0);
        if accounts == 0 {
            return Err(StoreError::NotFound);
        }
        tx.execute("DELETE FROM feed_tokens WHERE account_id = $1", &[&account])
            .map_err(map_err)?;
        if let Some(hash) = token_hash {
            tx.execute(
                "INSERT INTO feed_tokens (account_id, token_hash, created_at) VALUES ($1, $2, $3)",
                &[&account, &hash, &to_unix(now)],
            )
            .map_err(map_err)?;
        }
        tx.commit().map_err(map_err)
    }

    fn feed_token_account(&self, token_hash: &str) -> Result<Option<u64>> {
        Ok(self
            .query(
                "SELECT account_id FROM feed_tokens WHERE token_hash = $1",
                &[&token_hash],
            )?
            .first()
            .map(|r| r.get::<_, i64>(0) as u64))
    }

    fn feed_token_made(&self, account_id: u64) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .query(
                "SELECT created_at FROM feed_tokens WHERE account_id = $1",
                &[&(account_id as i64)],
            )?
            .first()
            .map(|r| from_unix(r.get(0))))
    }
}
