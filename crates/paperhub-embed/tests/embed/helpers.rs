//! The real model for the tests: from `PAPERHUB_MODEL_DIR`, or installed once (with pip) into
//! `<workspace>/target/paperhub-model`. No test skips when the model cannot be had: it fails
//! with the install error.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use paperhub_embed::install::{install, InstallOptions};
use paperhub_embed::Embedder;

/// The model directory, installing the model on first use.
pub fn model_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(dir) = std::env::var_os("PAPERHUB_MODEL_DIR") {
            return PathBuf::from(dir);
        }
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/paperhub-model");
        match install(&dir, &InstallOptions::default()) {
            Ok(report) => eprintln!("{report}"),
            Err(e) => {
                panic!("the real-model tests need the model and it could not be installed: {e}")
            }
        }
        dir
    })
}

/// The model, loaded once for all tests.
pub fn embedder() -> &'static Embedder {
    static EMBEDDER: OnceLock<Embedder> = OnceLock::new();
    EMBEDDER.get_or_init(|| {
        Embedder::load(model_dir())
            .unwrap_or_else(|e| panic!("cannot load the model from {}: {e}", model_dir().display()))
    })
}

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    dot / (norm(a) * norm(b))
}

pub fn norm(a: &[f32]) -> f32 {
    a.iter().map(|x| x * x).sum::<f32>().sqrt()
}
