//! Line reading with a cap: an over-long line is skipped to its end without being buffered,
//! so memory stays flat whatever the input holds.

use std::io::{BufRead, ErrorKind};

use paperhub_core::PaperMeta;

use crate::error::RecordError;

/// Longest line kept (one JSON record, one listing line).
pub(crate) const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// One line, numbered from 1.
pub(crate) enum Line {
    /// The line's bytes, without the line ending.
    Text(usize, Vec<u8>),
    /// A line over the cap, skipped; its length in bytes.
    TooLong(usize, u64),
    /// The input could not be read further.
    Failed(usize, std::io::Error),
}

/// Reads numbered lines from a `BufRead`, keeping at most `cap` bytes of any line.
pub(crate) struct Lines<R> {
    source: R,
    cap: usize,
    number: usize,
    done: bool,
}

impl<R: BufRead> Lines<R> {
    pub fn new(source: R, cap: usize) -> Self {
        Self {
            source,
            cap,
            number: 0,
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Line;

    fn next(&mut self) -> Option<Line> {
        if self.done {
            return None;
        }
        let mut line = Vec::new();
        let mut len: u64 = 0;
        let mut saw_any = false;
        loop {
            let chunk = match self.source.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    self.number += 1;
                    return Some(Line::Failed(self.number, e));
                }
            };
            if chunk.is_empty() {
                self.done = true;
                if !saw_any {
                    return None;
                }
                break;
            }
            saw_any = true;
            let (part, used, ended) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (&chunk[..i], i + 1, true),
                None => (chunk, chunk.len(), false),
            };
            len += part.len() as u64;
            if len <= self.cap as u64 {
                line.extend_from_slice(part);
            } else if !line.is_empty() {
                line = Vec::new(); // over the cap: stop keeping it, free what was kept
            }
            self.source.consume(used);
            if ended {
                break;
            }
        }
        self.number += 1;
        if len > self.cap as u64 {
            return Some(Line::TooLong(self.number, len));
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Some(Line::Text(self.number, line))
    }
}

/// Parses one JSON line (as text) into a paper; gets the origin and the location.
pub(crate) type ParseLine = Box<dyn Fn(&str, &str, &str) -> Result<PaperMeta, RecordError> + Send>;

/// Records of a JSON-lines file: one per non-blank line, each line checked for size and UTF-8
/// before it is parsed.
pub(crate) struct JsonLines<R> {
    lines: Lines<R>,
    origin: String,
    parse: ParseLine,
}

impl<R: BufRead> JsonLines<R> {
    pub fn new(source: R, origin: &str, parse: ParseLine) -> Self {
        Self {
            lines: Lines::new(source, MAX_LINE_BYTES),
            origin: origin.to_owned(),
            parse,
        }
    }
}

impl<R: BufRead> Iterator for JsonLines<R> {
    type Item = Result<PaperMeta, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (number, bytes) = match self.lines.next()? {
                Line::Text(number, bytes) => (number, bytes),
                Line::TooLong(number, len) => {
                    let reason = format!(
                        "record is over {} MiB ({len} bytes); skipped",
                        MAX_LINE_BYTES / (1024 * 1024)
                    );
                    return Some(Err(RecordError::new(
                        &self.origin,
                        format!("line {number}"),
                        reason,
                    )));
                }
                Line::Failed(number, e) => {
                    let reason = format!("read error: {e}");
                    return Some(Err(RecordError::new(
                        &self.origin,
                        format!("line {number}"),
                        reason,
                    )));
                }
            };
            let location = format!("line {number}");
            let text = match std::str::from_utf8(&bytes) {
                Ok(text) => text,
                Err(e) => {
                    let reason = format!("invalid UTF-8 at byte {} of the line", e.valid_up_to());
                    return Some(Err(RecordError::new(&self.origin, location, reason)));
                }
            };
            if text.trim().is_empty() {
                continue;
            }
            return Some((self.parse)(text, &self.origin, &location));
        }
    }
}

/// Describes a serde_json error without its `line 1` (the location already names the line).
pub(crate) fn json_error(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = message.strip_suffix(&suffix).unwrap_or(&message);
    match e.classify() {
        serde_json::error::Category::Data => {
            format!("unexpected JSON: {message} at column {}", e.column())
        }
        _ => format!("invalid JSON: {message} at column {}", e.column()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_skipped_and_numbering_goes_on() {
        let input = format!("a\n{}\nb\r\nc", "x".repeat(100));
        let lines: Vec<_> = Lines::new(std::io::BufReader::with_capacity(7, input.as_bytes()), 10)
            .map(|l| match l {
                Line::Text(n, t) => format!("{n}:{}", String::from_utf8(t).unwrap()),
                Line::TooLong(n, len) => format!("{n}:long {len}"),
                Line::Failed(n, e) => format!("{n}:err {e}"),
            })
            .collect();
        assert_eq!(lines, ["1:a", "2:long 100", "3:b", "4:c"]);
    }
}
