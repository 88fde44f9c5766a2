//! The store on PostgreSQL: several hub nodes on one database.
//!
//! Chosen by a `postgres://` `database.url`. Every node keeps its own search index in its own
//! data directory and follows the database's change sequence to keep it current: writers
//! serialise on the `last_seq` row of `state` (`SELECT … FOR UPDATE`), so sequence numbers
//! follow commit order and `changes_since` misses nothing, and each commit sends a
//! `NOTIFY paperhub_changes` that wakes the other nodes ([`PostgresStore::watch`]). Vectors are
//! stored here too, so no node embeds a paper another already embedded.
//!
//! A batch is one transaction: the matching rule's three lookups are one query each
//! (`= ANY($1)`), and its rows are written by one `INSERT … SELECT FROM unnest(…)` and one
//! `UPDATE … FROM unnest(…)`, so a batch of 10,000 papers costs a handful of round trips.
//! Migrations (`migrations/`) are versioned in `paperhub_schema` and applied on open under an
//! advisory lock, so nodes starting together migrate once; a database newer than the binary is
//! refused.
//!
//! The driver is the synchronous `postgres` crate (tokio-postgres underneath) with an r2d2
//! pool: the store's traits are synchronous, and the web hub calls them from tokio's blocking
//! pool, where a blocking client is the right tool. Connections are plain TCP or a Unix socket
//! (`host=/var/run/postgresql`); TLS to the database is not supported yet.

mod accounts;
mod comments;
mod library;
mod mail;
mod migrations;
mod pool;
mod submissions;
mod votes;
mod watch;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use chrono::NaiveDate;
use paperhub_core::{Paper, PaperId, PaperMeta};
use paperhub_store::matching::{self, Lookups, PaperRow};
use paperhub_store::{
    BatchResult, ChangeWatcher, CheckpointStore, EmbeddingStore, PaperStore, Result, Store,
    StoreError, StoreStats, StoredEmbedding, StoredPaper,
};
use postgres::types::ToSql;
use postgres::{GenericClient, NoTls, Row};

pub use watch::CHANNEL;

type Pool = r2d2::Pool<pool::Manager>;

/// How many connections a node keeps at most.
const POOL_SIZE: u32 = 16;

/// The PostgreSQL store.
pub struct PostgresStore {
    pool: Pool,
    config: postgres::Config,
    /// The URL with its password masked, for messages.
    shown: String,
}

const SELECT_COLUMNS: &str = "key, seq, id, listed_on, meta";

/// The URL with its password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    // postgres://user:password@host/db: the password sits between the first ':' after the
    // scheme and the last '@' before the path.
    let Some(rest_at) = url.find("://").map(|i| i + 3) else {
        // key=value form: mask a password= pair.
        return url
            .split_whitespace()
            .map(|pair| {
                if pair.starts_with("password=") {
                    "password=***"
                } else {
                    pair
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
    };
    let rest = &url[rest_at..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..rest_at],
            &authority[..colon],
            &rest[at..]
        ),
        _ => url.to_owned(),
    }
}

fn map_err(e: postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        if db.code() == &postgres::error::SqlState::UNIQUE_VIOLATION {
            return StoreError::Conflict(db.message().to_owned());
        }
        return StoreError::other(e);
    }
    if e.is_closed() || e.code().is_none() {
        return StoreError::Unavailable(format!("{e}"));
    }
    StoreError::other(e)
}

fn decode(row: &Row) -> Result<StoredPaper> {
    let key: i64 = row.get(0);
    let seq: i64 = row.get(1);
    let id: &str = row.get(2);
    let listed_on: Option<NaiveDate> = row.get(3);
    let meta: &str = row.get(4);
    PaperRow::decode(key as u64, seq as u64, id, listed_on, meta)
}

fn decode_all(rows: Vec<Row>) -> Result<Vec<StoredPaper>> {
    rows.iter().map(decode).collect()
}

impl PostgresStore {
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
        self.papers(
            &format!(
                "SELECT {SELECT_COLUMNS} FROM papers WHERE listed_on BETWEEN $1 AND $2 \
                 ORDER BY {order} listed_on DESC, key LIMIT $3 OFFSET $4"
            ),
            &[&from, &until, &(limit as i64), &(offset as i64)],
        )
    }

    /// Connects to the database at `url` (`postgres://user:password@host:port/db`, or the
    /// key=value form), brings its schema up to date and keeps a pool of connections. An
    /// unreachable or wrong URL fails here, naming the URL (password masked) and the cause.
    pub fn open(url: &str) -> anyhow::Result<Self> {
        let shown = redact_url(url);
        let mut config = postgres::Config::from_str(url)
            .with_context(|| format!("reading the PostgreSQL URL {shown}"))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        if config.get_application_name().is_none() {
            config.application_name("paperhub");
        }
        let mut client = config
            .connect(NoTls)
            .with_context(|| format!("connecting to PostgreSQL at {shown}"))?;
        migrations::apply(&mut client)
            .with_context(|| format!("preparing the PostgreSQL database at {shown}"))?;
        drop(client);
        let manager = pool::Manager {
            config: config.clone(),
        };
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build_unchecked(manager);
        Ok(Self {
            pool,
            config,
            shown,
        })
    }

    /// The URL it was opened with, password masked.
    pub fn url(&self) -> &str {
        &self.shown
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<pool::Manager>> {
        self.pool.get().map_err(|e| {
            StoreError::Unavailable(format!(
                "no connection to PostgreSQL at {}: {e}",
                self.shown
            ))
        })
    }

    /// Runs a read, prepared once per connection.
    fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let mut conn = self.conn()?;
        let statement = conn.prepared(sql).map_err(map_err)?;
        conn.query(&statement, params).map_err(map_err)
    }

    /// Runs a read of one row, prepared once per connection.
    fn query_one(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        let mut conn = self.conn()?;
        let statement = conn.prepared(sql).map_err(map_err)?;
        conn.query_one(&statement, params).map_err(map_err)
    }

    fn papers(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<StoredPaper>> {
        decode_all(self.query(sql, params)?)
    }
}

/// The matching rule's lookups inside a write transaction.
struct TxLookups<'a, 'b>(&'a mut postgres::Transaction<'b>);

impl TxLookups<'_, '_> {
    fn by(&mut self, column: &str, values: &(dyn ToSql + Sync)) -> Result<Vec<StoredPaper>> {
        let sql = format!("SELECT {SELECT_COLUMNS} FROM papers WHERE {column} = ANY($1)");
        decode_all(self.0.query(sql.as_str(), &[values]).map_err(map_err)?)
    }
}

impl Lookups for TxLookups<'_, '_> {
    fn by_arxiv_ids(&mut self, ids: &[&str]) -> Result<Vec<StoredPaper>> {
        self.by("arxiv_id", &ids)
    }
    fn by_source_keys(&mut self, keys: &[&str]) -> Result<Vec<StoredPaper>> {
        self.by("source_key", &keys)
    }
    fn by_title_hashes(&mut self, hashes: &[i64]) -> Result<Vec<StoredPaper>> {
        self.by("title_hash", &hashes)
    }
}

/// Column arrays of paper rows, for one `unnest`.
struct Columns {
    key: Vec<i64>,
    id: Vec<String>,
    arxiv_id: Vec<Option<String>>,
    source_key: Vec<Option<String>>,
    source_id: Vec<Option<String>>,
    title_hash: Vec<i64>,
    version: Vec<Option<i32>>,
    listed_on: Vec<Option<NaiveDate>>,
    format: Vec<Option<String>>,
    meta: Vec<String>,
    seq: Vec<i64>,
}

impl Columns {
    fn of<'a>(rows: impl Iterator<Item = &'a PaperRow>) -> Self {
        let mut c = Columns {
            key: vec![],
            id: vec![],
            arxiv_id: vec![],
            source_key: vec![],
            source_id: vec![],
            title_hash: vec![],
            version: vec![],
            listed_on: vec![],
            format: vec![],
            meta: vec![],
            seq: vec![],
        };
        for r in rows {
            c.key.push(r.key as i64);
            c.id.push(r.id.clone());
            c.arxiv_id.push(r.arxiv_id.clone());
            c.source_key.push(r.source_key.clone());
            c.source_id.push(r.source_id.clone());
            c.title_hash.push(r.title_hash);
            c.version
                .push(r.version.map(|v| i32::try_from(v).unwrap_or(i32::MAX)));
            c.listed_on.push(r.listed_on);
            c.format.push(r.format.map(str::to_owned));
            c.meta.push(r.meta.clone());
            c.seq.push(r.seq as i64);
        }
        c
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 11] {
        [
            &self.key,
            &self.id,
            &self.arxiv_id,
            &self.source_key,
            &self.source_id,
            &self.title_hash,
            &self.version,
            &self.listed_on,
            &self.format,
            &self.meta,
            &self.seq,
        ]
    }
}

const UNNEST_ROWS: &str = "unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], \
     $6::bigint[], $7::int[], $8::date[], $9::text[], $10::text[], $11::bigint[]) \
     AS u(key, id, arxiv_id, source_key, source_id, title_hash, version, listed_on, format, meta, seq)";

/// Writes paper rows with one statement over `unnest` of their columns (`sql` names them
/// `u.…`, from [`UNNEST_ROWS`]).
fn write_rows<'a>(
    tx: &mut impl GenericClient,
    rows: impl Iterator<Item = &'a PaperRow>,
    sql: &str,
) -> Result<()> {
    let columns = Columns::of(rows);
    if !columns.key.is_empty() {
        tx.execute(sql, &columns.params()).map_err(map_err)?;
    }
    Ok(())
}

fn insert_rows<'a>(
    tx: &mut impl GenericClient,
    rows: impl Iterator<Item = &'a PaperRow>,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO papers (key, id, arxiv_id, source_key, source_id, title_hash, version, \
         listed_on, format, meta, seq) SELECT * FROM {UNNEST_ROWS}"
    );
    write_rows(tx, rows, &sql)
}

fn update_rows<'a>(
    tx: &mut impl GenericClient,
    rows: impl Iterator<Item = &'a PaperRow>,
) -> Result<()> {
    let sql = format!(
        "UPDATE papers p SET id = u.id, arxiv_id = u.arxiv_id, source_key = u.source_key, \
         source_id = u.source_id, title_hash = u.title_hash, version = u.version, \
         listed_on = u.listed_on, format = u.format, meta = u.meta, seq = u.seq, changed_at = now() \
         FROM {UNNEST_ROWS} WHERE p.key = u.key"
    );
    write_rows(tx, rows, &sql)
}

/// Takes the writers' lock (the `last_seq` row) and reads the counter.
fn lock_last_seq(tx: &mut impl GenericClient) -> Result<u64> {
    let value: String = tx
        .query_one(
            "SELECT value FROM state WHERE name = 'last_seq' FOR UPDATE",
            &[],
        )
        .map_err(map_err)?
        .get(0);
    value
        .parse()
        .map_err(|e| StoreError::other(anyhow::anyhow!("bad last_seq `{value}`: {e}")))
}

fn set_last_seq(tx: &mut impl GenericClient, seq: u64) -> Result<()> {
    tx.execute(
        "UPDATE state SET value = $1 WHERE name = 'last_seq'",
        &[&seq.to_string()],
    )
    .map_err(map_err)?;
    Ok(())
}

/// Wakes the other nodes when the transaction commits.
fn notify(tx: &mut impl GenericClient, what: &str) -> Result<()> {
    tx.execute(
        "SELECT pg_notify($1, current_schema() || ' ' || $2)",
        &[&CHANNEL, &what],
    )
    .map_err(map_err)?;
    Ok(())
}

impl PaperStore for PostgresStore {
    fn upsert_batch(&self, batch: &[PaperMeta]) -> Result<BatchResult> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(map_err)?;
        let last_seq = lock_last_seq(&mut tx)?;
        let next_key: i64 = tx
            .query_one("SELECT COALESCE(MAX(key), 0) + 1 FROM papers", &[])
            .map_err(map_err)?
            .get(0);
        let plan = matching::plan_batch(&mut TxLookups(&mut tx), batch, last_seq, next_key as u64)?;
        insert_rows(
            &mut tx,
            plan.writes.iter().filter(|w| w.insert).map(|w| &w.row),
        )?;
        update_rows(
            &mut tx,
            plan.writes.iter().filter(|w| !w.insert).map(|w| &w.row),
        )?;
        if !plan.writes.is_empty() {
            set_last_seq(&mut tx, plan.result.last_seq)?;
            notify(&mut tx, "papers")?;
        }
        tx.commit().map_err(map_err)?;
        Ok(plan.result)
    }

    fn get(&self, id: &PaperId) -> Result<Option<Paper>> {
        Ok(self
            .papers(
                &format!("SELECT {SELECT_COLUMNS} FROM papers WHERE id = $1"),
                &[&id.as_str()],
            )?
            .into_iter()
            .next()
            .map(|p| p.paper))
    }

    fn find(&self, id: &str) -> Result<Option<Paper>> {
        for column in ["id", "arxiv_id", "source_id"] {
            let found = self.papers(
                &format!(
                    "SELECT {SELECT_COLUMNS} FROM papers WHERE {column} = $1 ORDER BY key LIMIT 1"
                ),
                &[&id],
            )?;
            if let Some(found) = found.into_iter().next() {
                return Ok(Some(found.paper));
            }
        }
        Ok(None)
    }

    fn find_by_doi(&self, doi: &str) -> Result<Option<Paper>> {
        Ok(self
            .papers(
                &format!(
                    "SELECT {SELECT_COLUMNS} FROM papers WHERE lower(meta::jsonb ->> 'doi') = $1 \
                     ORDER BY key LIMIT 1"
                ),
                &[&doi.trim().to_lowercase()],
            )?
            .into_iter()
            .next()
            .map(|s| s.paper))
    }

    fn find_by_title(&self, title_key: &str) -> Result<Vec<Paper>> {
        let hash = matching::title_hash(title_key);
        Ok(self
            .papers(
                &format!("SELECT {SELECT_COLUMNS} FROM papers WHERE title_hash = $1 ORDER BY key"),
                &[&hash],
            )?
            .into_iter()
            .map(|s| s.paper)
            .filter(|p| p.meta.title_key() == title_key)
            .collect())
    }

    fn key_of(&self, id: &PaperId) -> Result<Option<u64>> {
        Ok(self
            .query("SELECT key FROM papers WHERE id = $1", &[&id.as_str()])?
            .first()
            .map(|r| r.get::<_, i64>(0) as u64))
    }

    fn get_by_keys(&self, keys: &[u64]) -> Result<Vec<StoredPaper>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: Vec<i64> = keys.iter().map(|&k| k as i64).collect();
        let found: std::collections::HashMap<u64, StoredPaper> = self
            .papers(
                &format!("SELECT {SELECT_COLUMNS} FROM papers WHERE key = ANY($1)"),
                &[&wanted],
            )?
            .into_iter()
            .map(|p| (p.key, p))
            .collect();
        // In the order asked; a key asked twice is answered twice.
        Ok(keys.iter().filter_map(|k| found.get(k).cloned()).collect())
    }

    fn changes_since(&self, seq: u64, limit: usize) -> Result<Vec<StoredPaper>> {
        self.papers(
            &format!("SELECT {SELECT_COLUMNS} FROM papers WHERE seq > $1 ORDER BY seq LIMIT $2"),
            &[&(seq as i64), &(limit as i64)],
        )
    }

    fn last_seq(&self) -> Result<u64> {
        let value: String = self
            .query_one("SELECT value FROM state WHERE name = 'last_seq'", &[])?
            .get(0);
        value
            .parse()
            .map_err(|e| StoreError::other(anyhow::anyhow!("bad last_seq `{value}`: {e}")))
    }

    fn stats(&self) -> Result<StoreStats> {
        let counts = self.query_one(
            "SELECT COUNT(*), COUNT(arxiv_id), COUNT(DISTINCT listed_on), MIN(listed_on), \
             MAX(listed_on) FROM papers",
            &[],
        )?;
        let by_format = self
            .query(
                "SELECT COALESCE(format, 'unknown'), COUNT(*) FROM papers GROUP BY 1 ORDER BY 2 DESC, 1",
                &[],
            )?
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
            .collect();
        Ok(StoreStats {
            papers: counts.get::<_, i64>(0) as u64,
            with_arxiv_id: counts.get::<_, i64>(1) as u64,
            days: counts.get::<_, i64>(2) as u64,
            first_day: counts.get(3),
            last_day: counts.get(4),
            by_format,
        })
    }

    fn papers_between(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<StoredPaper>> {
        self.span(from, until, "", limit, offset)
    }

    fn papers_between_by_votes(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<StoredPaper>> {
        self.span(
            from,
            until,
            "(SELECT COALESCE(MAX(n), 0) FROM vote_totals t WHERE t.paper_key = papers.key) DESC,",
            limit,
            offset,
        )
    }

    fn count_between(&self, from: NaiveDate, until: NaiveDate) -> Result<u64> {
        Ok(self
            .query_one(
                "SELECT COUNT(*) FROM papers WHERE listed_on BETWEEN $1 AND $2",
                &[&from, &until],
            )?
            .get::<_, i64>(0) as u64)
    }

    fn adjacent_days(&self, day: NaiveDate) -> Result<(Option<NaiveDate>, Option<NaiveDate>)> {
        let row = self.query_one(
            "SELECT (SELECT MAX(listed_on) FROM papers WHERE listed_on < $1), \
             (SELECT MIN(listed_on) FROM papers WHERE listed_on > $1)",
            &[&day],
        )?;
        Ok((row.get(0), row.get(1)))
    }

    fn latest_day(&self) -> Result<Option<NaiveDate>> {
        Ok(self
            .query_one("SELECT MAX(listed_on) FROM papers", &[])?
            .get(0))
    }

    fn import_papers(&self, papers: &[StoredPaper], last_seq: u64) -> Result<()> {
        let rows: Vec<PaperRow> = papers.iter().map(PaperRow::of).collect::<Result<_>>()?;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(map_err)?;
        let current = lock_last_seq(&mut tx)?;
        insert_rows(&mut tx, rows.iter())?;
        set_last_seq(&mut tx, current.max(last_seq))?;
        notify(&mut tx, "papers")?;
        tx.commit().map_err(map_err)
    }
}

fn vector_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn vector_of(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Writes embeddings with their change numbers, replacing a model's earlier vector of a paper.
fn write_embeddings(
    tx: &mut impl GenericClient,
    model: &str,
    keys: &[i64],
    seqs: &[i64],
    changes: &[i64],
    vectors: &[Vec<u8>],
) -> Result<()> {
    tx.execute(
        "INSERT INTO embeddings (model, key, seq, change, vector) \
         SELECT $1, u.key, u.seq, u.change, u.vector \
         FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bytea[]) AS u(key, seq, change, vector) \
         ON CONFLICT (model, key) DO UPDATE SET seq = excluded.seq, change = excluded.change, \
         vector = excluded.vector",
        &[&model, &keys, &seqs, &changes, &vectors],
    )
    .map_err(map_err)?;
    Ok(())
}

/// Holds the model's embedding writers off until the transaction ends, so change numbers
/// follow commit order.
fn lock_model(tx: &mut impl GenericClient, model: &str) -> Result<i64> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('paperhub:embeddings:' || current_schema() || ':' || $1))",
        &[&model],
    )
    .map_err(map_err)?;
    Ok(tx
        .query_one(
            "SELECT COALESCE(MAX(change), 0) FROM embeddings WHERE model = $1",
            &[&model],
        )
        .map_err(map_err)?
        .get(0))
}

impl EmbeddingStore for PostgresStore {
    fn put_embeddings(&self, model: &str, items: &[(u64, u64, Vec<f32>)]) -> Result<u64> {
        if items.is_empty() {
            return self.last_embedding_change(model);
        }
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(map_err)?;
        let last = lock_model(&mut tx, model)?;
        let keys: Vec<i64> = items.iter().map(|i| i.0 as i64).collect();
        let seqs: Vec<i64> = items.iter().map(|i| i.1 as i64).collect();
        let changes: Vec<i64> = (1..=items.len() as i64).map(|i| last + i).collect();
        let vectors: Vec<Vec<u8>> = items.iter().map(|i| vector_bytes(&i.2)).collect();
        write_embeddings(&mut tx, model, &keys, &seqs, &changes, &vectors)?;
        notify(&mut tx, "embeddings")?;
        tx.commit().map_err(map_err)?;
        Ok((last + items.len() as i64) as u64)
    }

    fn papers_to_embed(
        &self,
        model: &str,
        after_key: u64,
        limit: usize,
    ) -> Result<Vec<StoredPaper>> {
        self.papers(
            "SELECT p.key, p.seq, p.id, p.listed_on, p.meta FROM papers p \
             LEFT JOIN embeddings e ON e.model = $1 AND e.key = p.key \
             WHERE p.key > $2 AND (e.key IS NULL OR e.seq < p.seq) ORDER BY p.key LIMIT $3",
            &[&model, &(after_key as i64), &(limit as i64)],
        )
    }

    fn embeddings_since(
        &self,
        model: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredEmbedding>> {
        Ok(self
            .query(
                "SELECT change, key, seq, vector FROM embeddings WHERE model = $1 AND change > $2 \
                 ORDER BY change LIMIT $3",
                &[&model, &(after as i64), &(limit as i64)],
            )?
            .iter()
            .map(|r| StoredEmbedding {
                change: r.get::<_, i64>(0) as u64,
                key: r.get::<_, i64>(1) as u64,
                seq: r.get::<_, i64>(2) as u64,
                vector: vector_of(r.get(3)),
            })
            .collect())
    }

    fn last_embedding_change(&self, model: &str) -> Result<u64> {
        Ok(self
            .query_one(
                "SELECT COALESCE(MAX(change), 0) FROM embeddings WHERE model = $1",
                &[&model],
            )?
            .get::<_, i64>(0) as u64)
    }

    fn embedding_count(&self, model: &str) -> Result<u64> {
        Ok(self
            .query_one(
                "SELECT COUNT(*) FROM embeddings WHERE model = $1",
                &[&model],
            )?
            .get::<_, i64>(0) as u64)
    }

    fn embedding_models(&self) -> Result<Vec<String>> {
        Ok(self
            .query("SELECT DISTINCT model FROM embeddings ORDER BY model", &[])?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn import_embeddings(&self, model: &str, items: &[StoredEmbedding]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(map_err)?;
        lock_model(&mut tx, model)?;
        let keys: Vec<i64> = items.iter().map(|e| e.key as i64).collect();
        let seqs: Vec<i64> = items.iter().map(|e| e.seq as i64).collect();
        let changes: Vec<i64> = items.iter().map(|e| e.change as i64).collect();
        let vectors: Vec<Vec<u8>> = items.iter().map(|e| vector_bytes(&e.vector)).collect();
        write_embeddings(&mut tx, model, &keys, &seqs, &changes, &vectors)?;
        notify(&mut tx, "embeddings")?;
        tx.commit().map_err(map_err)
    }
}

impl CheckpointStore for PostgresStore {
    fn get_state(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .query("SELECT value FROM state WHERE name = $1", &[&name])?
            .first()
            .map(|r| r.get(0)))
    }

    fn set_state(&self, name: &str, value: &str) -> Result<()> {
        self.query(
            "INSERT INTO state (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            &[&name, &value],
        )?;
        Ok(())
    }

    fn all_states(&self) -> Result<Vec<(String, String)>> {
        Ok(self
            .query(
                "SELECT name, value FROM state WHERE name <> 'last_seq' ORDER BY name",
                &[],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }
}

impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn watch(&self) -> Result<Box<dyn ChangeWatcher>> {
        Ok(Box::new(watch::NotifyWatcher::connect(
            &self.config,
            &self.shown,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn a_url_shown_in_a_message_never_holds_its_password() {
        assert_eq!(
            redact_url("postgres://hub:s3cret@db.example:5432/paperhub"),
            "postgres://hub:***@db.example:5432/paperhub"
        );
        assert_eq!(
            redact_url("postgresql://hub:p%40ss@db/paperhub?sslmode=disable"),
            "postgresql://hub:***@db/paperhub?sslmode=disable"
        );
        assert_eq!(
            redact_url("postgres://hub@db/paperhub"),
            "postgres://hub@db/paperhub",
            "no password, nothing to mask"
        );
        assert_eq!(
            redact_url("host=db user=hub password=s3cret dbname=paperhub"),
            "host=db user=hub password=*** dbname=paperhub"
        );
    }
}
