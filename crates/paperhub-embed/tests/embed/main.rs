//! The real model, end to end: vectors against sentence-transformers, installation, truncation
//! and batching.

mod helpers;

use std::path::Path;

use helpers::{cosine, embedder, model_dir, norm};
use paperhub_embed::install::{install, InstallOptions, InstallOutcome};
use paperhub_embed::model_files::{ModelFiles, CONFIG_FILE, PINNED_SHA256};
use paperhub_embed::{EmbedError, Embedder, Precision, DIMENSIONS, MAX_TOKENS};

#[derive(serde::Deserialize)]
struct Reference {
    max_seq_length: usize,
    texts: Vec<String>,
    vectors: Vec<Vec<f32>>,
}

/// 50 real abstracts and their vectors by sentence-transformers (`tests/fixtures`).
fn reference() -> Reference {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn vectors_match_sentence_transformers_for_50_real_abstracts() {
    let reference = reference();
    assert_eq!(reference.max_seq_length, MAX_TOKENS);
    assert_eq!(reference.texts.len(), 50);
    assert_eq!(reference.vectors.len(), 50);

    let texts: Vec<&str> = reference.texts.iter().map(String::as_str).collect();
    // The default arithmetic (bf16 on AMX tiles where the CPU has them) and plain f32.
    let f32_model = Embedder::load_with(model_dir(), Precision::F32).unwrap();
    assert_eq!(f32_model.arithmetic(), "f32");
    for model in [embedder(), &f32_model] {
        // As documents, in batches, and one by one as queries are.
        let batch = model.embed(&texts).unwrap();
        let single: Vec<Vec<f32>> = texts.iter().map(|t| model.embed_one(t).unwrap()).collect();
        for (how, vectors) in [("batch", batch), ("one by one", single)] {
            assert_eq!(vectors.len(), texts.len());
            let mut min = f32::INFINITY;
            let mut worst = 0;
            for (i, (ours, theirs)) in vectors.iter().zip(&reference.vectors).enumerate() {
                assert_eq!(ours.len(), DIMENSIONS);
                let c = cosine(ours, theirs);
                if c < min {
                    min = c;
                    worst = i;
                }
            }
            let arithmetic = model.arithmetic();
            println!(
                "{arithmetic}, {how}: minimum cosine with sentence-transformers {min:.7} (text {worst})"
            );
            assert!(
                min >= 0.999,
                "{arithmetic}, {how}: text {worst} has cosine {min} with the reference"
            );
        }
    }
}

#[test]
fn install_is_idempotent_and_a_tampered_file_is_named() {
    let dir = model_dir();
    let files = ModelFiles::locate(dir).unwrap();
    files.verify().unwrap();
    let report = install(dir, &InstallOptions::default()).unwrap();
    assert_eq!(report.outcome, InstallOutcome::AlreadyInstalled);
    assert!(report.to_string().contains("already installed"), "{report}");

    let copy = tempfile::tempdir().unwrap();
    for (name, _) in PINNED_SHA256 {
        std::fs::copy(dir.join(name), copy.path().join(name)).unwrap();
    }
    let config = copy.path().join(CONFIG_FILE);
    let mut bytes = std::fs::read(&config).unwrap();
    bytes[10] ^= 0x01;
    std::fs::write(&config, bytes).unwrap();

    let err = ModelFiles::locate(copy.path())
        .unwrap()
        .verify()
        .unwrap_err();
    assert!(matches!(err, EmbedError::HashMismatch { .. }), "{err}");
    assert!(err.to_string().contains(CONFIG_FILE), "{err}");

    // A tampered directory is not taken as installed: install tries to fetch the model again
    // (here with a pip that fails, so nothing is downloaded).
    let failing_pip = InstallOptions {
        pip: vec!["false".into()],
    };
    let err = install(copy.path(), &failing_pip).unwrap_err();
    assert!(matches!(err, EmbedError::Download { .. }), "{err}");
}

#[test]
fn long_inputs_are_truncated_at_256_tokens_and_empty_text_works() {
    let model = embedder();
    let long = "transformers attend to every token of the sequence ".repeat(200);
    assert_eq!(model.token_count(&long), MAX_TOKENS);
    let longer = format!("{long} and then some more words at the very end");
    let a = model.embed_one(&long).unwrap();
    let b = model.embed_one(&longer).unwrap();
    assert_eq!(a.len(), DIMENSIONS);
    assert!((norm(&a) - 1.0).abs() < 1e-5);
    assert!(
        cosine(&a, &b) > 0.99999,
        "text past the cut changed the vector"
    );

    assert_eq!(model.token_count(""), 2);
    let empty = model.embed_one("").unwrap();
    assert_eq!(empty.len(), DIMENSIONS);
    assert!((norm(&empty) - 1.0).abs() < 1e-5);
    assert!(empty.iter().all(|v| v.is_finite()));
    assert!(model.embed(&[]).unwrap().is_empty());
}

/// The semantic half of a hybrid search embeds its query with cheaper arithmetic where the
/// CPU allows (bf16 weights on AMX tiles, bf16 weights and activations with AVX-512 BF16): the
/// vector must stay next to the exact one, for queries of the length people type.
#[test]
fn a_candidates_query_stays_next_to_the_exact_query() {
    let reference = reference();
    let model = embedder();
    let mut min = f32::INFINITY;
    for abstract_text in &reference.texts {
        // The first 12 words: a query of about 15-25 tokens.
        let query: String = abstract_text
            .split_whitespace()
            .take(12)
            .collect::<Vec<_>>()
            .join(" ");
        let exact = model.embed_one_with(&query, false).unwrap();
        let candidates = model.embed_candidates_query(&query, false).unwrap();
        assert_eq!(candidates.len(), DIMENSIONS);
        assert!((norm(&candidates) - 1.0).abs() < 1e-4);
        min = min.min(cosine(&exact, &candidates));
    }
    println!(
        "{}: minimum cosine of a candidates query with the exact one {min:.6}",
        model.arithmetic()
    );
    assert!(min >= 0.995, "minimum cosine {min}");
}

/// Hybrid searches running at the same time embed their queries in one pass: each vector must
/// be exactly the one its query gets alone (rows are multiplied on their own and attention stays
/// within a query), in passes that fill, split and overflow the kernel's rows.
#[test]
fn candidates_queries_in_one_pass_equal_each_alone() {
    let reference = reference();
    let model = embedder();
    let long = "attention heads in language models ".repeat(40);
    let mut queries: Vec<String> = reference
        .texts
        .iter()
        .take(13)
        .enumerate()
        .map(|(i, text)| {
            let words = 3 + 2 * i;
            text.split_whitespace()
                .take(words)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    queries.insert(5, long);
    queries.insert(9, String::new());
    let texts: Vec<&str> = queries.iter().map(String::as_str).collect();
    for n in [1, 2, 3, model.candidates_batch(), texts.len()] {
        for chunk in texts.chunks(n) {
            let together = model.embed_candidates_queries(chunk).unwrap();
            assert_eq!(together.len(), chunk.len());
            for (text, vector) in chunk.iter().zip(&together) {
                let alone = model.embed_candidates_query(text, false).unwrap();
                assert_eq!(vector, &alone, "{n} a pass, {text:.40}");
            }
        }
    }
    assert!(model.embed_candidates_queries(&[]).unwrap().is_empty());
}

#[test]
fn batch_and_single_embeddings_agree() {
    let model = embedder();
    let long = "a study of attention heads in language models ".repeat(60);
    let texts = [
        "unlearning",
        "how to make a trained model forget some of its training data",
        long.as_str(),
        "",
        "Diffusion models generate images by reversing a gradual noising process; we show that \
         a smaller denoiser distilled from a larger one keeps most of its quality.",
        "state space models versus transformers on long sequences",
    ];
    let batch = model.embed(&texts).unwrap();
    assert_eq!(batch.len(), texts.len());
    for (text, vector) in texts.iter().zip(&batch) {
        let single = model.embed_one(text).unwrap();
        let c = cosine(&single, vector);
        assert!(c > 0.9999, "{text:.40}: cosine {c}");
    }
    // Related texts are closer than unrelated ones.
    assert!(cosine(&batch[0], &batch[1]) > cosine(&batch[0], &batch[2]));
}
