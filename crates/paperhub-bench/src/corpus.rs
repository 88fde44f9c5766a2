//! The synthetic corpus: real SciFact documents first, then recombinations of every real title
//! and abstract the shared data holds, as one BEIR `corpus.jsonl`.
//!
//! The recipe (also in BENCHMARKS.md):
//! 1. The SciFact corpus lines, copied byte for byte (real `_id`s), so the SciFact queries
//!    have their relevant documents.
//! 2. Material: every title and abstract that `paperhub_ingest::read_file` reads from SciFact,
//!    the arXiv CSV sample, the arXiv JSON lines, the Atom and OAI-PMH samples and the seed
//!    listing page (duplicates dropped); abstracts are split into sentences.
//! 3. Paper `syn-<n>`: the first half of one real title's words and the second half of
//!    another's; an abstract of 3 to 8 sentences, each drawn from one of 2 to 4 real abstracts
//!    picked for this paper.
//!
//! Everything random comes from one `SmallRng` seeded with `--seed`, so a seed and a paper
//! count give the same file with the same build.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use paperhub_ingest::{expand_paths, read_file, ReadOptions};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// Version of the recipe, recorded beside the corpus: a corpus made by another recipe is remade.
const RECIPE: u32 = 1;
/// Shortest text kept as a sentence on its own; shorter pieces join the next one.
const MIN_SENTENCE_CHARS: usize = 20;
/// How often generation prints a progress line.
const PROGRESS_EVERY: u64 = 100_000;

/// Arguments of `paperhub-bench corpus`.
#[derive(Debug, Args)]
pub struct CorpusArgs {
    /// Papers to write (the first 5,183 are SciFact's own).
    #[arg(long)]
    papers: u64,

    /// The corpus file to write (BEIR `corpus.jsonl`).
    #[arg(long)]
    out: PathBuf,

    /// Seed of the random recombination.
    #[arg(long, default_value_t = 42)]
    seed: u64,

    /// The shared data directory holding `data/` and `seed/`.
    #[arg(long, env = "PAPERHUB_BENCH_SHARED", default_value_os_t = crate::default_shared_dir())]
    shared: PathBuf,
}

/// Runs `paperhub-bench corpus`.
pub fn run(args: &CorpusArgs) -> anyhow::Result<()> {
    let info = generate(&args.shared, args.papers, args.seed, &args.out)?;
    eprintln!(
        "wrote {} papers ({} real SciFact) to {} ({:.1} MB) in {:.1}s",
        info.papers,
        info.real,
        args.out.display(),
        info.bytes as f64 / 1e6,
        info.seconds
    );
    Ok(())
}

/// What was written, kept beside the corpus as `<corpus>.meta.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CorpusInfo {
    /// Papers in the file.
    pub papers: u64,
    /// Of which real SciFact documents.
    pub real: u64,
    /// The seed.
    pub seed: u64,
    /// The recipe version.
    pub recipe: u32,
    /// File size.
    pub bytes: u64,
    /// Real titles recombined.
    pub titles: usize,
    /// Real abstracts recombined.
    pub abstracts: usize,
    /// Sentences they split into.
    pub sentences: usize,
    /// Seconds generation took.
    pub seconds: f64,
}

/// The sidecar recording how a corpus file was made.
pub fn info_path(corpus: &Path) -> PathBuf {
    let mut name = corpus.as_os_str().to_owned();
    name.push(".meta.json");
    PathBuf::from(name)
}

/// The recorded info of `corpus` if it exists and was made with this paper count, seed and
/// recipe and still has its recorded size.
pub fn existing(corpus: &Path, papers: u64, seed: u64) -> Option<CorpusInfo> {
    let text = std::fs::read_to_string(info_path(corpus)).ok()?;
    let info: CorpusInfo = serde_json::from_str(&text).ok()?;
    let size = std::fs::metadata(corpus).ok()?.len();
    (info.papers == papers && info.seed == seed && info.recipe == RECIPE && info.bytes == size)
        .then_some(info)
}

/// One BEIR document.
#[derive(Serialize)]
struct Doc<'a> {
    #[serde(rename = "_id")]
    id: &'a str,
    title: &'a str,
    text: &'a str,
}

/// Real titles and abstracts, the abstracts split into sentences.
struct Material {
    titles: Vec<Vec<String>>,
    sentences: Vec<String>,
    /// Each abstract's sentences, as a range of `sentences`.
    abstracts: Vec<Range<usize>>,
}

impl Material {
    /// Reads every source with paperhub-ingest. SciFact's `queries.jsonl` sits beside its corpus,
    /// so the corpus file is named rather than its directory.
    fn gather(shared: &Path) -> anyhow::Result<Self> {
        let data = shared.join("data");
        let sources = [
            data.join("scifact").join("corpus.jsonl"),
            data.join("corpus"),
            data.join("arxiv"),
            shared.join("seed"),
        ];
        let files = expand_paths(&sources).context("listing the real material")?;
        let mut material = Material {
            titles: Vec::new(),
            sentences: Vec::new(),
            abstracts: Vec::new(),
        };
        let mut seen_titles = HashSet::new();
        let mut seen_abstracts = HashSet::new();
        for path in &files {
            // Error responses among the OAI samples hold no papers: skip what is not readable.
            let Ok(records) = read_file(path, &ReadOptions::default()) else {
                continue;
            };
            for meta in records.flatten() {
                let words: Vec<String> = meta.title.split_whitespace().map(str::to_owned).collect();
                if words.len() >= 2 && seen_titles.insert(meta.title.clone()) {
                    material.titles.push(words);
                }
                if seen_abstracts.insert(meta.abstract_text.clone()) {
                    let start = material.sentences.len();
                    material
                        .sentences
                        .extend(split_sentences(&meta.abstract_text));
                    if material.sentences.len() > start {
                        material.abstracts.push(start..material.sentences.len());
                    }
                }
            }
        }
        anyhow::ensure!(
            material.titles.len() >= 2 && !material.abstracts.is_empty(),
            "no real material found under {}",
            shared.display()
        );
        Ok(material)
    }

    fn title(&self, rng: &mut SmallRng) -> String {
        let first = &self.titles[rng.random_range(0..self.titles.len())];
        let second = &self.titles[rng.random_range(0..self.titles.len())];
        let head = &first[..first.len().div_ceil(2)];
        let tail = &second[second.len() / 2..];
        head.iter()
            .chain(tail)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn abstract_text(&self, rng: &mut SmallRng, out: &mut String) {
        out.clear();
        let sources: Vec<&Range<usize>> = (0..rng.random_range(2..=4))
            .map(|_| &self.abstracts[rng.random_range(0..self.abstracts.len())])
            .collect();
        for i in 0..rng.random_range(3..=8) {
            let source = sources[rng.random_range(0..sources.len())];
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&self.sentences[rng.random_range(source.clone())]);
        }
    }
}

/// Splits on `.`, `?` or `!` followed by a space and an upper-case letter or digit; pieces
/// shorter than [`MIN_SENTENCE_CHARS`] stay with the next.
fn split_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, ch) in text.char_indices() {
        if !matches!(ch, '.' | '?' | '!') || bytes.get(i + 1) != Some(&b' ') {
            continue;
        }
        let next = text[i + 2..].chars().next();
        if next.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
            && i + 1 - start >= MIN_SENTENCE_CHARS
        {
            out.push(text[start..=i].to_owned());
            start = i + 2;
        }
    }
    let rest = text[start..].trim();
    if rest.len() >= MIN_SENTENCE_CHARS || (out.is_empty() && !rest.is_empty()) {
        out.push(rest.to_owned());
    }
    out
}

/// Writes `papers` papers to `out` and records how beside it.
pub fn generate(shared: &Path, papers: u64, seed: u64, out: &Path) -> anyhow::Result<CorpusInfo> {
    let started = Instant::now();
    eprintln!(
        "corpus: reading the real material under {}",
        shared.display()
    );
    let material = Material::gather(shared)?;
    eprintln!(
        "corpus: {} titles, {} abstracts, {} sentences",
        material.titles.len(),
        material.abstracts.len(),
        material.sentences.len()
    );
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    // A stale sidecar must not vouch for a half-written file.
    let _ = std::fs::remove_file(info_path(out));
    let file = File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);

    let scifact = shared.join("data").join("scifact").join("corpus.jsonl");
    let reader = BufReader::new(
        File::open(&scifact).with_context(|| format!("opening {}", scifact.display()))?,
    );
    let mut written = 0u64;
    for line in reader.lines() {
        let line = line.with_context(|| format!("reading {}", scifact.display()))?;
        if written == papers {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        writer.write_all(line.as_bytes())?;
        writer.write_all(b"\n")?;
        written += 1;
    }
    let real = written;

    let mut rng = SmallRng::seed_from_u64(seed);
    let mut text = String::new();
    let mut id = String::new();
    while written < papers {
        let title = material.title(&mut rng);
        material.abstract_text(&mut rng, &mut text);
        id.clear();
        id.push_str("syn-");
        id.push_str(&(written - real).to_string());
        serde_json::to_writer(
            &mut writer,
            &Doc {
                id: &id,
                title: &title,
                text: &text,
            },
        )?;
        writer.write_all(b"\n")?;
        written += 1;
        if written % PROGRESS_EVERY == 0 {
            eprintln!(
                "corpus: {written} / {papers} papers ({:.1}s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    writer
        .flush()
        .with_context(|| format!("writing {}", out.display()))?;
    drop(writer);
    let info = CorpusInfo {
        papers,
        real,
        seed,
        recipe: RECIPE,
        bytes: std::fs::metadata(out)?.len(),
        titles: material.titles.len(),
        abstracts: material.abstracts.len(),
        sentences: material.sentences.len(),
        seconds: started.elapsed().as_secs_f64(),
    };
    std::fs::write(info_path(out), serde_json::to_string_pretty(&info)?)
        .with_context(|| format!("recording {}", info_path(out).display()))?;
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_at_ends_followed_by_a_capital_and_keep_abbreviations_whole() {
        let text = "We study e.g. graphs of size 10. Results improve by 3.5 points! Do they? Yes, they do here.";
        assert_eq!(
            split_sentences(text),
            vec![
                "We study e.g. graphs of size 10.",
                "Results improve by 3.5 points!",
                "Do they? Yes, they do here."
            ]
        );
    }

    #[test]
    fn recombined_titles_join_the_first_half_of_one_with_the_second_half_of_another() {
        let material = Material {
            titles: vec![
                vec!["a".into(), "b".into(), "c".into()],
                vec!["w".into(), "x".into(), "y".into(), "z".into()],
            ],
            sentences: vec!["One sentence here.".into()],
            abstracts: std::iter::once(0..1).collect(),
        };
        let mut rng = SmallRng::seed_from_u64(7);
        for _ in 0..20 {
            let title = material.title(&mut rng);
            assert!(
                ["a b b c", "a b y z", "w x b c", "w x y z"].contains(&title.as_str()),
                "{title}"
            );
        }
    }
}
