use std::path::{Path, PathBuf};

use paperhub_core::PaperMeta;
use paperhub_ingest::{read_file, ReadOptions, RecordError};

/// The shared sample data.
pub use paperhub_test_support::shared;

/// Every item of a file, read with detection.
pub fn read_all(path: &Path) -> Vec<Result<PaperMeta, RecordError>> {
    read_with(path, &ReadOptions::default())
}

pub fn read_with(path: &Path, options: &ReadOptions) -> Vec<Result<PaperMeta, RecordError>> {
    read_file(path, options)
        .unwrap_or_else(|e| panic!("{e}"))
        .collect()
}

/// Splits items into papers and errors.
pub fn split(items: Vec<Result<PaperMeta, RecordError>>) -> (Vec<PaperMeta>, Vec<RecordError>) {
    let mut papers = Vec::new();
    let mut errors = Vec::new();
    for item in items {
        match item {
            Ok(p) => papers.push(p),
            Err(e) => errors.push(e),
        }
    }
    (papers, errors)
}

/// Writes `bytes` to a file called `name` in a fresh temporary directory.
pub fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

/// Gzips `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}
