//! Text to token ids: the model's own WordPiece tokenizer (lower-casing BERT normaliser), read
//! from `tokenizer.json`, set up as sentence-transformers runs it: `[CLS] … [SEP]`, cut at
//! [`MAX_TOKENS`] tokens, never padded (the forward pass takes each sequence at its own length).

use std::path::Path;

use tokenizers::{TruncationDirection, TruncationParams, TruncationStrategy};

use crate::{EmbedError, Result, MAX_TOKENS};

pub(crate) struct Tokenizer {
    inner: tokenizers::Tokenizer,
}

impl Tokenizer {
    pub(crate) fn load(path: &Path) -> Result<Self> {
        let bad = |reason: String| EmbedError::BadModelFile {
            path: path.to_path_buf(),
            reason,
        };
        let mut inner = tokenizers::Tokenizer::from_file(path).map_err(|e| bad(e.to_string()))?;
        // The shipped file pads and truncates at 128; sentence-transformers reads 256 tokens.
        inner
            .with_truncation(Some(TruncationParams {
                direction: TruncationDirection::Right,
                max_length: MAX_TOKENS,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
            }))
            .map_err(|e| bad(e.to_string()))?;
        inner.with_padding(None);
        Ok(Tokenizer { inner })
    }

    /// The token ids of `text`, `[CLS]` and `[SEP]` included, at most [`MAX_TOKENS`].
    pub(crate) fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let encoding = self
            .inner
            .encode_fast(text, true)
            .map_err(|e| EmbedError::Tokenize(e.to_string()))?;
        Ok(encoding.get_ids().to_vec())
    }
}
