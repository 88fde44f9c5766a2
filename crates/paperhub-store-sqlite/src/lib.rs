//! [`PaperStore`] on SQLite: paperhub's embedded default.
//!
//! One database file (`paperhub.sqlite3` in the data directory) in WAL mode, with versioned
//! migrations from `migrations/` applied on open (`PRAGMA user_version` records how far).
//! Writes take one connection behind a mutex: SQLite has one writer at a time anyway, and a
//! batch is one transaction, so a process killed mid-batch leaves the previous batch intact.

mod accounts;
mod comments;
mod library;
mod mail;
mod migrations;
mod submissions;
mod votes;

use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use paperhub_core::{Paper, PaperId, PaperMeta};
use paperhub_store::matching::{self, Lookups, PaperRow};
use paperhub_store::{
    BatchResult, ChangeWatcher, CheckpointStore, EmbeddingStore, PaperStore, PollingWatcher,
    Result, Store, StoreError, StoreStats, StoredEmbedding, StoredPaper,
};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

/// The SQLite store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn other(e: impl Into<anyhow::Error>) -> StoreError {
    StoreError::Other(e.into())
}

const SELECT_COLUMNS: &str = "key, seq, id, listed_on, meta";

/// The `ORDER BY` term that puts the most upvoted papers first.
const BY_VOTES: &str =
    "(SELECT COALESCE(MAX(n), 0) FROM vote_totals t WHERE t.paper_key = papers.key) DESC,";

fn row_to_stored(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredPaper> {
    let key: i64 = row.get(0)?;
    let seq: i64 = row.get(1)?;
    let id: String = row.get(2)?;
    let listed_on: Option<String> = row.get(3)?;
    let meta: String = row.get(4)?;
    let meta: PaperMeta = serde_json::from_str(&meta).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, e.into())
    })?;
    let listed_on = listed_on.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    let id = PaperId::parse(&id).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            2,
            rusqlite::types::Type::Text,
            "empty paper id".into(),
        )
    })?;
    Ok(StoredPaper {
        key: key as u64,
        seq: seq as u64,
        paper: Paper {
            id,
            listed_on,
            meta,
        },
    })
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let conn = Connection::open(path)
            .with_context(|| format!("opening SQLite database {}", path.display()))?;
        Self::init(conn).with_context(|| format!("preparing SQLite database {}", path.display()))
    }

    /// An in-memory database, for tests.
    pub fn open_in_memory() -> anyhow::Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> anyhow::Result<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        // WAL lets readers (a search) run while an ingest writes; NORMAL sync keeps every
        // committed transaction across a process crash (kill -9), losing at most the last
        // ones on power loss, never corrupting the file.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Every statement the hub runs stays prepared: with rusqlite's default of 16, a page
        // that shows papers with their votes, comments and submitters (on top of the reads
        // of search and trending) evicted statements and parsed them again on every request.
        conn.set_prepared_statement_cache_capacity(128);
        // A 200 MB page cache keeps the lookup indexes of a few million papers in memory;
        // at 64 MB, ingest time doubled once the database outgrew it (BENCHMARKS.md).
        conn.pragma_update(None, "cache_size", -200_000)?;
        // Checkpoint the WAL every ~64 MB rather than 4 MB: fewer, larger copies into the
        // database during bulk ingest.
        conn.pragma_update(None, "wal_autocheckpoint", 16_000)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        migrations::apply(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Connection>> {
        self.conn
            .lock()
            .map_err(|_| other(anyhow::anyhow!("store mutex poisoned")))
    }

    /// The papers listed from `from` to `until`, ordered first by `order` (an `ORDER BY` term
    /// with its trailing comma, or nothing), then latest day first in the listing's order.
    fn span(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        order: &str,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<StoredPaper>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {SELECT_COLUMNS} FROM papers WHERE listed_on BETWEEN ?1 AND ?2 \
                 ORDER BY {order} listed_on DESC, key LIMIT ?3 OFFSET ?4"
            ))?;
            let rows = stmt.query_map(
                params![
                    day_text(Some(from)),
                    day_text(Some(until)),
                    limit as i64,
                    offset as i64
                ],
                row_to_stored,
            )?;
            rows.collect()
        })
    }

    fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T> {
        let mut conn = self.lock()?;
        f(&mut conn).map_err(map_err)
    }
}

fn map_err(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
        rusqlite::Error::SqliteFailure(f, msg)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict(msg.unwrap_or_else(|| f.to_string()))
        }
        e => other(e),
    }
}

fn parse_day(text: Option<String>) -> Option<NaiveDate> {
    text.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
}

/// The three lookups of the matching rule, inside a write transaction.
struct TxLookups<'a, 'c>(&'a Transaction<'c>);

impl TxLookups<'_, '_> {
    fn each<V: rusqlite::ToSql>(&self, sql: &str, values: &[V]) -> Result<Vec<StoredPaper>> {
        let mut stmt = self.0.prepare_cached(sql).map_err(map_err)?;
        let mut out = Vec::new();
        for value in values {
            let rows = stmt.query_map([value], row_to_stored).map_err(map_err)?;
            for row in rows {
                out.push(row.map_err(map_err)?);
            }
        }
        Ok(out)
    }
}

impl Lookups for TxLookups<'_, '_> {
    fn by_arxiv_ids(&mut self, ids: &[&str]) -> Result<Vec<StoredPaper>> {
        self.each(
            &format!("SELECT {SELECT_COLUMNS} FROM papers WHERE arxiv_id = ?1"),
            ids,
        )
    }
    fn by_source_keys(&mut self, keys: &[&str]) -> Result<Vec<StoredPaper>> {
        self.each(
            &format!("SELECT {SELECT_COLUMNS} FROM papers WHERE source_key = ?1"),
            keys,
        )
    }
    fn by_title_hashes(&mut self, hashes: &[i64]) -> Result<Vec<StoredPaper>> {
        self.each(
            &format!("SELECT {SELECT_COLUMNS} FROM papers WHERE title_hash = ?1"),
            hashes,
        )
    }
}

fn read_last_seq(tx: &Transaction<'_>) -> rusqlite::Result<u64> {
    tx.query_row("SELECT value FROM state WHERE name = 'last_seq'", [], |r| {
        r.get::<_, String>(0)
    })?
    .parse()
    .map_err(|e: std::num::ParseIntError| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })
}

/// Inserts or replaces one paper row as it is.
fn write_row(tx: &Transaction<'_>, row: &PaperRow, now: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO papers (key, id, arxiv_id, source_key, source_id, title_hash, version, \
         listed_on, format, meta, seq, created_at, changed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12) \
         ON CONFLICT (key) DO UPDATE SET id = excluded.id, arxiv_id = excluded.arxiv_id, \
         source_key = excluded.source_key, source_id = excluded.source_id, \
         title_hash = excluded.title_hash, version = excluded.version, listed_on = excluded.listed_on, \
         format = excluded.format, meta = excluded.meta, seq = excluded.seq, changed_at = excluded.changed_at",
    )?
    .execute(params![
        row.key as i64,
        row.id,
        row.arxiv_id,
        row.source_key,
        row.source_id,
        row.title_hash,
        row.version,
        day_text(row.listed_on),
        row.format,
        row.meta,
        row.seq as i64,
        now,
    ])?;
    Ok(())
}

fn day_text(day: Option<NaiveDate>) -> Option<String> {
    day.map(|d| d.format("%Y-%m-%d").to_string())
}

impl PaperStore for SqliteStore {
    fn upsert_batch(&self, batch: &[PaperMeta]) -> Result<BatchResult> {
        let mut conn = self.lock()?;
        // IMMEDIATE: the write lock is taken before the counter is read, so another process
        // writing the same file cannot number a batch from the same counter value.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map_err)?;
        let last_seq = read_last_seq(&tx).map_err(map_err)?;
        let next_key: i64 = tx
            .query_row("SELECT COALESCE(MAX(key), 0) + 1 FROM papers", [], |r| {
                r.get(0)
            })
            .map_err(map_err)?;
        let plan = matching::plan_batch(&mut TxLookups(&tx), batch, last_seq, next_key as u64)?;
        let now = Utc::now().to_rfc3339();
        for write in &plan.writes {
            write_row(&tx, &write.row, &now).map_err(map_err)?;
        }
        tx.execute(
            "UPDATE state SET value = ?1 WHERE name = 'last_seq'",
            [plan.result.last_seq.to_string()],
        )
        .map_err(map_err)?;
        tx.commit().map_err(map_err)?;
        Ok(plan.result)
    }

    fn import_papers(&self, papers: &[StoredPaper], last_seq: u64) -> Result<()> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map_err)?;
        let now = Utc::now().to_rfc3339();
        for paper in papers {
            write_row(&tx, &PaperRow::of(paper)?, &now).map_err(map_err)?;
        }
        let current = read_last_seq(&tx).map_err(map_err)?;
        tx.execute(
            "UPDATE state SET value = ?1 WHERE name = 'last_seq'",
            [current.max(last_seq).to_string()],
        )
        .map_err(map_err)?;
        tx.commit().map_err(map_err)
    }

    fn get(&self, id: &PaperId) -> Result<Option<Paper>> {
        self.with_conn(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {SELECT_COLUMNS} FROM papers WHERE id = ?1"
            ))?
            .query_row([id.as_str()], row_to_stored)
            .optional()
            .map(|p| p.map(|s| s.paper))
        })
    }

    fn find(&self, id: &str) -> Result<Option<Paper>> {
        self.with_conn(|conn| {
            for column in ["id", "arxiv_id", "source_id"] {
                let found = conn
                    .prepare_cached(&format!(
                        "SELECT {SELECT_COLUMNS} FROM papers WHERE {column} = ?1 LIMIT 1"
                    ))?
                    .query_row([id], row_to_stored)
                    .optional()?;
                if let Some(found) = found {
                    return Ok(Some(found.paper));
                }
            }
            Ok(None)
        })
    }

    fn find_by_doi(&self, doi: &str) -> Result<Option<Paper>> {
        self.with_conn(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {SELECT_COLUMNS} FROM papers WHERE lower(json_extract(meta, '$.doi')) = ?1 \
                 ORDER BY key LIMIT 1"
            ))?
            .query_row([doi.trim().to_lowercase()], row_to_stored)
            .optional()
            .map(|found| found.map(|s| s.paper))
        })
    }

    fn find_by_title(&self, title_key: &str) -> Result<Vec<Paper>> {
        let hash = matching::title_hash(title_key);
        let found = self.with_conn(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {SELECT_COLUMNS} FROM papers WHERE title_hash = ?1 ORDER BY key"
            ))?
            .query_map([hash], row_to_stored)?
            .collect::<rusqlite::Result<Vec<_>>>()
        })?;
        Ok(found
            .into_iter()
            .map(|s| s.paper)
            .filter(|p| p.meta.title_key() == title_key)
            .collect())
    }

    fn key_of(&self, id: &PaperId) -> Result<Option<u64>> {
        self.with_conn(|conn| {
            conn.prepare_cached("SELECT key FROM papers WHERE id = ?1")?
                .query_row([id.as_str()], |r| r.get::<_, i64>(0))
                .optional()
                .map(|k| k.map(|k| k as u64))
        })
    }

    fn keys_of(&self, ids: &[&PaperId]) -> Result<Vec<Option<u64>>> {
        // One read transaction for all of them: each statement outside one takes and drops
        // the database's locks again.
        self.with_conn(|conn| {
            let tx = conn.transaction()?;
            let found = {
                let mut stmt = tx.prepare_cached("SELECT key FROM papers WHERE id = ?1")?;
                ids.iter()
                    .map(|id| {
                        stmt.query_row([id.as_str()], |r| r.get::<_, i64>(0))
                            .optional()
                            .map(|k| k.map(|k| k as u64))
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()?
            };
            tx.commit()?;
            Ok(found)
        })
    }

    fn get_by_keys(&self, keys: &[u64]) -> Result<Vec<StoredPaper>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {SELECT_COLUMNS} FROM papers WHERE key = ?1"
            ))?;
            let mut out = Vec::with_capacity(keys.len());
            for &key in keys {
                if let Some(p) = stmt.query_row([key as i64], row_to_stored).optional()? {
                    out.push(p);
                }
            }
            Ok(out)
        })
    }

    fn changes_since(&self, seq: u64, limit: usize) -> Result<Vec<StoredPaper>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {SELECT_COLUMNS} FROM papers WHERE seq > ?1 ORDER BY seq LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![seq as i64, limit as i64], row_to_stored)?;
            rows.collect()
        })
    }

    fn last_seq(&self) -> Result<u64> {
        let value = self.get_state("last_seq")?.unwrap_or_default();
        value
            .parse()
            .map_err(|e| other(anyhow::anyhow!("bad last_seq `{value}`: {e}")))
    }

    fn stats(&self) -> Result<StoreStats> {
        self.with_conn(|conn| {
            // Three queries that each read one index: as one query over the table they read
            // every row (0.6 s at 1M papers, against 6 ms).
            let papers: i64 = conn.query_row("SELECT COUNT(*) FROM papers", [], |r| r.get(0))?;
            let with_arxiv_id: i64 = conn.query_row(
                "SELECT COUNT(*) FROM papers WHERE arxiv_id IS NOT NULL",
                [],
                |r| r.get(0),
            )?;
            let (days, first_day, last_day): (i64, Option<String>, Option<String>) = conn.query_row(
                "SELECT COUNT(DISTINCT listed_on), MIN(listed_on), MAX(listed_on) FROM papers \
                 WHERE listed_on IS NOT NULL",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let mut stmt = conn.prepare(
                "SELECT COALESCE(format, 'unknown'), COUNT(*) FROM papers GROUP BY 1 ORDER BY 2 DESC, 1",
            )?;
            let by_format = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let parse = |d: Option<String>| d.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
            Ok(StoreStats {
                papers: papers as u64,
                with_arxiv_id: with_arxiv_id as u64,
                days: days as u64,
                first_day: parse(first_day),
                last_day: parse(last_day),
                by_format,
            })
        })
    }

    fn papers_between(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<StoredPaper>> {
        // A range scan of the `papers_listed_on` index.
        self.span(from, until, "", limit, offset)
    }

    fn papers_between_by_votes(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<StoredPaper>> {
        // The span's papers from the `papers_listed_on` index, each with its total.
        self.span(from, until, BY_VOTES, limit, offset)
    }

    fn count_between(&self, from: NaiveDate, until: NaiveDate) -> Result<u64> {
        self.with_conn(|conn| {
            conn.prepare_cached("SELECT COUNT(*) FROM papers WHERE listed_on BETWEEN ?1 AND ?2")?
                .query_row(params![day_text(Some(from)), day_text(Some(until))], |r| {
                    r.get::<_, i64>(0)
                })
                .map(|n| n as u64)
        })
    }

    fn adjacent_days(&self, day: NaiveDate) -> Result<(Option<NaiveDate>, Option<NaiveDate>)> {
        self.with_conn(|conn| {
            let day = day_text(Some(day));
            let before: Option<String> = conn
                .prepare_cached("SELECT MAX(listed_on) FROM papers WHERE listed_on < ?1")?
                .query_row([&day], |r| r.get(0))?;
            let after: Option<String> = conn
                .prepare_cached("SELECT MIN(listed_on) FROM papers WHERE listed_on > ?1")?
                .query_row([&day], |r| r.get(0))?;
            Ok((parse_day(before), parse_day(after)))
        })
    }

    fn latest_day(&self) -> Result<Option<NaiveDate>> {
        self.with_conn(|conn| {
            conn.prepare_cached("SELECT MAX(listed_on) FROM papers WHERE listed_on IS NOT NULL")?
                .query_row([], |r| r.get::<_, Option<String>>(0))
                .map(parse_day)
        })
    }
}

impl EmbeddingStore for SqliteStore {
    fn put_embeddings(&self, model: &str, items: &[(u64, u64, Vec<f32>)]) -> Result<u64> {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let last: i64;
            {
                last = tx
                    .prepare_cached("SELECT COALESCE(MAX(change), 0) FROM embeddings WHERE model = ?1")?
                    .query_row([model], |r| r.get(0))?;
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO embeddings (key, model, seq, vector, change) VALUES (?1, ?2, ?3, ?4, ?5) \
                     ON CONFLICT (model, key) DO UPDATE SET seq = excluded.seq, vector = excluded.vector, \
                     change = excluded.change",
                )?;
                for (i, (key, seq, vector)) in items.iter().enumerate() {
                    stmt.execute(params![*key as i64, model, *seq as i64, vector_bytes(vector), last + 1 + i as i64])?;
                }
            }
            tx.commit()?;
            Ok((last + items.len() as i64) as u64)
        })
    }

    fn papers_to_embed(
        &self,
        model: &str,
        after_key: u64,
        limit: usize,
    ) -> Result<Vec<StoredPaper>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT p.key, p.seq, p.id, p.listed_on, p.meta FROM papers p \
                 LEFT JOIN embeddings e ON e.model = ?1 AND e.key = p.key \
                 WHERE p.key > ?2 AND (e.key IS NULL OR e.seq < p.seq) ORDER BY p.key LIMIT ?3",
            )?;
            let rows = stmt.query_map(
                params![model, after_key as i64, limit as i64],
                row_to_stored,
            )?;
            rows.collect()
        })
    }

    fn embeddings_since(
        &self,
        model: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredEmbedding>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT change, key, seq, vector FROM embeddings WHERE model = ?1 AND change > ?2 \
                 ORDER BY change LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![model, after as i64, limit as i64], |row| {
                let bytes: Vec<u8> = row.get(3)?;
                Ok(StoredEmbedding {
                    change: row.get::<_, i64>(0)? as u64,
                    key: row.get::<_, i64>(1)? as u64,
                    seq: row.get::<_, i64>(2)? as u64,
                    vector: bytes
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect(),
                })
            })?;
            rows.collect()
        })
    }

    fn last_embedding_change(&self, model: &str) -> Result<u64> {
        self.with_conn(|conn| {
            conn.prepare_cached("SELECT COALESCE(MAX(change), 0) FROM embeddings WHERE model = ?1")?
                .query_row([model], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
        })
    }

    fn embedding_count(&self, model: &str) -> Result<u64> {
        self.with_conn(|conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM embeddings WHERE model = ?1",
                [model],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
        })
    }

    fn embedding_models(&self) -> Result<Vec<String>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare("SELECT DISTINCT model FROM embeddings ORDER BY model")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect()
        })
    }

    fn import_embeddings(&self, model: &str, items: &[StoredEmbedding]) -> Result<()> {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO embeddings (key, model, seq, vector, change) VALUES (?1, ?2, ?3, ?4, ?5) \
                     ON CONFLICT (model, key) DO UPDATE SET seq = excluded.seq, vector = excluded.vector, \
                     change = excluded.change",
                )?;
                for e in items {
                    stmt.execute(params![
                        e.key as i64,
                        model,
                        e.seq as i64,
                        vector_bytes(&e.vector),
                        e.change as i64
                    ])?;
                }
            }
            tx.commit()
        })
    }
}

impl CheckpointStore for SqliteStore {
    fn get_state(&self, name: &str) -> Result<Option<String>> {
        self.with_conn(|conn| {
            conn.prepare_cached("SELECT value FROM state WHERE name = ?1")?
                .query_row([name], |r| r.get(0))
                .optional()
        })
    }

    fn set_state(&self, name: &str, value: &str) -> Result<()> {
        self.with_conn(|conn| {
            conn.prepare_cached(
                "INSERT INTO state (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            )?
            .execute([name, value])
            .map(|_| ())
        })
    }

    fn all_states(&self) -> Result<Vec<(String, String)>> {
        self.with_conn(|conn| {
            let mut stmt = conn
                .prepare("SELECT name, value FROM state WHERE name <> 'last_seq' ORDER BY name")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    /// Only processes on this machine can write the file; they send no signal, so a follower
    /// looks at a steady pace.
    fn watch(&self) -> Result<Box<dyn ChangeWatcher>> {
        Ok(Box::new(PollingWatcher))
    }
}

fn vector_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}
