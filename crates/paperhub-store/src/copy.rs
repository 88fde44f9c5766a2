//! Copying a hub from one store to another (`paperhub copy`), and the checksum that proves
//! the copy whole.

use sha2::{Digest, Sha256};

use crate::{Result, Store, StoreError};

/// How many papers or vectors are read and written at a time.
const CHUNK: usize = 5_000;

/// What a store holds, counted and summed: equal reports mean equal contents.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContentReport {
    /// Papers.
    pub papers: u64,
    /// Vectors, over every model.
    pub embeddings: u64,
    /// Persistent values (harvest checkpoints).
    pub states: u64,
    /// The last change number of the papers.
    pub last_seq: u64,
    /// SHA-256 over every paper (key, number, id, day, metadata), every vector and every
    /// value, in a fixed order, as hex.
    pub checksum: String,
}

/// Counts and sums what `store` holds. `progress(done)` is told the papers read so far.
pub fn content_report(store: &dyn Store, mut progress: impl FnMut(u64)) -> Result<ContentReport> {
    let mut hash = Sha256::new();
    let mut papers = 0;
    let mut after = 0;
    loop {
        let chunk = store.changes_since(after, CHUNK)?;
        let Some(last) = chunk.last() else { break };
        after = last.seq;
        for p in &chunk {
            let meta = serde_json::to_string(&p.paper.meta).map_err(StoreError::other)?;
            hash.update(p.key.to_le_bytes());
            hash.update(p.seq.to_le_bytes());
            hash.update(p.paper.id.as_str().as_bytes());
            hash.update([0]);
            hash.update(p.paper.listed_on.map(|d| d.to_string()).unwrap_or_default());
            hash.update([0]);
            hash.update(meta.as_bytes());
            hash.update([0]);
        }
        papers += chunk.len() as u64;
        progress(papers);
    }
    let mut embeddings = 0;
    let mut models = store.embedding_models()?;
    models.sort();
    for model in models {
        hash.update(model.as_bytes());
        hash.update([0]);
        let mut after = 0;
        loop {
            let chunk = store.embeddings_since(&model, after, CHUNK)?;
            let Some(last) = chunk.last() else { break };
            after = last.change;
            for e in &chunk {
                hash.update(e.change.to_le_bytes());
                hash.update(e.key.to_le_bytes());
                hash.update(e.seq.to_le_bytes());
                for x in &e.vector {
                    hash.update(x.to_le_bytes());
                }
            }
            embeddings += chunk.len() as u64;
        }
    }
    let mut states = store.all_states()?;
    states.sort();
    for (name, value) in &states {
        hash.update(name.as_bytes());
        hash.update([0]);
        hash.update(value.as_bytes());
        hash.update([0]);
    }
    let checksum = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(ContentReport {
        papers,
        embeddings,
        states: states.len() as u64,
        last_seq: store.last_seq()?,
        checksum,
    })
}

/// Copies everything `from` holds into `to`, which must be empty: papers with their keys and
/// change numbers, every model's vectors with theirs, and the persistent values. A search
/// index built over `from` therefore fits `to` as it is. `progress(done, total)` counts papers
/// then vectors.
pub fn copy_store(
    from: &dyn Store,
    to: &dyn Store,
    mut progress: impl FnMut(&str, u64, u64),
) -> Result<()> {
    let target = to.stats()?;
    if target.papers > 0 || to.last_seq()? > 0 {
        return Err(StoreError::Conflict(format!(
            "the target already holds {} papers: copy only into an empty database",
            target.papers
        )));
    }
    // Accounts are not carried yet: refuse rather than leave them behind.
    let accounts = from.accounts()?.len();
    if accounts > 0 {
        return Err(StoreError::Conflict(format!(
            "the hub has {accounts} accounts, and copy does not carry accounts yet: \
             nothing was copied"
        )));
    }
    let total = from.stats()?.papers;
    let mut after = 0;
    let mut done = 0;
    loop {
        let chunk = from.changes_since(after, CHUNK)?;
        let Some(last) = chunk.last() else { break };
        after = last.seq;
        to.import_papers(&chunk, after)?;
        done += chunk.len() as u64;
        progress("papers", done, total);
    }
    // Changes superseded by later ones leave gaps: the target's counter must match anyway.
    to.import_papers(&[], from.last_seq()?)?;
    for model in from.embedding_models()? {
        let total = from.embedding_count(&model)?;
        let mut after = 0;
        let mut done = 0;
        loop {
            let chunk = from.embeddings_since(&model, after, CHUNK)?;
            let Some(last) = chunk.last() else { break };
            after = last.change;
            to.import_embeddings(&model, &chunk)?;
            done += chunk.len() as u64;
            progress("vectors", done, total);
        }
    }
    for (name, value) in from.all_states()? {
        to.set_state(&name, &value)?;
    }
    Ok(())
}
