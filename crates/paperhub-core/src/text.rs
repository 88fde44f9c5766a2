//! The text rules applied to everything paperhub gathers.
//!
//! Sources hand us titles and abstracts wrapped at 80 columns, TeX accents (`Bal\'azs`),
//! BibTeX-style braces and simple markup (`\emph{…}`), and now and then UTF-8 that was decoded
//! as Latin-1 once too often (`WÃ¼bben`). These functions make such text readable while leaving
//! mathematics (`$…$`) as the authors wrote it.

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Collapses every run of whitespace to one space and trims the ends.
///
/// ASCII text (most of what arrives) is scanned byte by byte, without decoding characters:
/// at a million abstracts the character-by-character `split_whitespace` was 3.6% of an
/// ingest's CPU. Other text takes the Unicode definition of whitespace.
pub fn collapse_whitespace(s: &str) -> String {
    if !s.is_ascii() {
        return collapse_unicode_whitespace(s);
    }
    let mut out = Vec::with_capacity(s.len());
    let mut space = false;
    for &byte in s.as_bytes() {
        // The ASCII characters `char::is_whitespace` accepts (vertical tab included, which
        // `u8::is_ascii_whitespace` leaves out).
        if matches!(byte, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r') {
            space = !out.is_empty();
        } else {
            if space {
                out.push(b' ');
                space = false;
            }
            out.push(byte);
        }
    }
    String::from_utf8(out).expect("invariant: ASCII in, ASCII out")
}

fn collapse_unicode_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Normalises free text (abstracts, comments, author names): repairs double-encoded UTF-8,
/// turns TeX accents into letters and collapses whitespace.
pub fn normalize_text(s: &str) -> String {
    let collapsed = collapse_whitespace(&repair_mojibake(s));
    let accented = outside_math(&collapsed, tex_accents);
    // Most text is already composed (all ASCII text is): skip the costly recomposition then.
    if accented.is_ascii() || is_nfc_quick(accented.chars()) == IsNormalized::Yes {
        return accented;
    }
    accented.nfc().collect()
}

/// Normalises a title: like [`normalize_text`], and also drops simple markup (`\emph{x}`,
/// `\textbf{x}`, protective braces `{GPU}`) outside mathematics.
pub fn normalize_title(s: &str) -> String {
    let text = normalize_text(s);
    // Dropping braces can bring an accent next to its letter (`\'}a`): normalise once more.
    normalize_text(&outside_math(&text, strip_markup))
}

/// A key under which two spellings of one title compare equal: lower case, letters and digits
/// only, one space between words. Used to recognise a paper that arrives without an id.
pub fn title_key(title: &str) -> String {
    key_of_normalized_title(&normalize_title(title))
}

/// [`title_key`] of a title that has already been through [`normalize_title`].
pub fn key_of_normalized_title(normalized: &str) -> String {
    let mut out = String::with_capacity(normalized.len());
    let mut pending_space = false;
    for ch in normalized.chars().flat_map(char::to_lowercase) {
        if ch.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(ch);
        } else {
            pending_space = true;
        }
    }
    out
}

/// Repairs text that was UTF-8, decoded as Latin-1 and encoded again (`WÃ¼bben` → `Wübben`).
/// Text that does not decode cleanly that way is returned unchanged.
pub fn repair_mojibake(s: &str) -> std::borrow::Cow<'_, str> {
    let suspicious = s
        .as_bytes()
        .windows(2)
        .any(|w| (w[0] == 0xC3 || w[0] == 0xC2) && (w[1] == 0x83 || w[1] == 0x82));
    if !suspicious || s.chars().any(|c| c as u32 > 0xFF) {
        return s.into();
    }
    let bytes: Vec<u8> = s.chars().map(|c| c as u32 as u8).collect();
    match String::from_utf8(bytes) {
        Ok(fixed) => fixed.into(),
        Err(_) => s.into(),
    }
}

/// Applies `f` to the parts of `s` outside `$…$` math, copying math through unchanged.
fn outside_math(s: &str, f: fn(&str) -> String) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    loop {
        match find_unescaped_dollar(rest) {
            None => {
                out.push_str(&f(rest));
                return out;
            }
            Some(start) => {
                // A segment that ends where mathematics opens must not come to end in a
                // backslash (stripping `\}` from `\}$` would escape the `$` and move the
                // mathematics on the next pass): keep such a segment as it is.
                let segment = &rest[..start];
                let changed = f(segment);
                if changed.ends_with('\\') {
                    out.push_str(segment);
                } else {
                    out.push_str(&changed);
                }
                let after = &rest[start + 1..];
                match find_unescaped_dollar(after) {
                    Some(end) => {
                        out.push_str(&rest[start..start + 1 + end + 1]);
                        rest = &after[end + 1..];
                    }
                    None => {
                        // An unpaired `$`: not math after all.
                        out.push('$');
                        out.push_str(&f(after));
                        return out;
                    }
                }
            }
        }
    }
}

fn find_unescaped_dollar(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    (0..bytes.len()).find(|&i| bytes[i] == b'$' && (i == 0 || bytes[i - 1] != b'\\'))
}

/// The combining mark for a one-character TeX accent command.
fn symbol_accent(c: char) -> Option<char> {
    Some(match c {
        '\'' => '\u{0301}',
        '`' => '\u{0300}',
        '^' => '\u{0302}',
        '"' => '\u{0308}',
        '~' => '\u{0303}',
        '=' => '\u{0304}',
        '.' => '\u{0307}',
        _ => return None,
    })
}

/// The combining mark for a one-letter TeX accent command (`\c{c}`, `\v{s}`…).
fn letter_accent(c: char) -> Option<char> {
    Some(match c {
        'c' => '\u{0327}',
        'v' => '\u{030C}',
        'u' => '\u{0306}',
        'H' => '\u{030B}',
        'k' => '\u{0328}',
        'r' => '\u{030A}',
        'd' => '\u{0323}',
        'b' => '\u{0331}',
        _ => return None,
    })
}

/// Letters TeX writes as commands.
fn letter_command(name: &str) -> Option<&'static str> {
    Some(match name {
        "ss" => "ß",
        "o" => "ø",
        "O" => "Ø",
        "aa" => "å",
        "AA" => "Å",
        "ae" => "æ",
        "AE" => "Æ",
        "oe" => "œ",
        "OE" => "Œ",
        "l" => "ł",
        "L" => "Ł",
        "i" => "ı",
        "j" => "ȷ",
        _ => return None,
    })
}

/// Reads the argument of an accent: `{x}`, `{\i}`, ` x` or `x`. Returns the base letter and
/// the number of bytes consumed.
fn accent_argument(s: &str) -> Option<(char, usize)> {
    let trimmed = s.trim_start_matches(' ');
    let skipped = s.len() - trimmed.len();
    let (inner, braced) = match trimmed.strip_prefix('{') {
        Some(inner) => (inner, true),
        None => (trimmed, false),
    };
    let (base, used) = if let Some(rest) = inner.strip_prefix("\\i") {
        if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        ('i', 2)
    } else if let Some(rest) = inner.strip_prefix("\\j") {
        if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        ('j', 2)
    } else {
        // An ASCII letter, as TeX sources write them. A letter that is already accented (`\^Ā`,
        // or `\^B̄`: a letter and a combining mark) is left alone: it can be the output of an
        // earlier conversion, and accenting it on a second pass would make normalisation
        // change text it already normalised.
        let mut chars = inner.chars();
        let c = chars.next().filter(char::is_ascii_alphabetic)?;
        if chars.next().is_some_and(is_combining_mark) {
            return None;
        }
        (c, 1)
    };
    if braced {
        let after = &inner[used..];
        after.strip_prefix('}')?;
        Some((base, skipped + 1 + used + 1))
    } else {
        Some((base, skipped + used))
    }
}

/// Whether `c` is one of the combining diacritical marks (U+0300-U+036F), which the accent
/// conversions put after a letter that has no precomposed form.
fn is_combining_mark(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

/// Turns TeX accent commands into letters: `Bal\'azs`, `{\"o}`, `\c{c}`, `\ss`.
fn tex_accents(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        // `\\` (a line break) is one command: its second backslash starts nothing.
        if rest.starts_with("\\\\") {
            out.push_str("\\\\");
            i += 2;
            continue;
        }
        // `{\'a}`: drop the group braces around a single accented letter.
        if let Some(inner) = rest.strip_prefix("{\\") {
            if let Some((converted, used)) = accent_command(inner) {
                if inner[used..].starts_with('}') {
                    out.push_str(&converted);
                    i += 2 + used + 1;
                    continue;
                }
            }
        }
        if let Some(inner) = rest.strip_prefix('\\') {
            if let Some((converted, used)) = accent_command(inner) {
                out.push_str(&converted);
                i += 1 + used;
                continue;
            }
        }
        let ch = rest.chars().next().expect("invariant: i < len");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Converts one accent command that follows a backslash; returns the text and bytes used.
fn accent_command(s: &str) -> Option<(String, usize)> {
    let first = s.chars().next()?;
    if let Some(mark) = symbol_accent(first) {
        let (base, used) = accent_argument(&s[1..])?;
        return Some((format!("{base}{mark}"), 1 + used));
    }
    if let Some(mark) = letter_accent(first) {
        let after = &s[1..];
        // `\c{c}` or `\c c`, but not the start of a longer command such as `\cite`.
        if after.starts_with('{') || after.starts_with(' ') {
            let (base, used) = accent_argument(after)?;
            return Some((format!("{base}{mark}"), 1 + used));
        }
    }
    let name_len = s.bytes().take_while(u8::is_ascii_alphabetic).count();
    if name_len > 0 {
        if let Some(letter) = letter_command(&s[..name_len]) {
            // `\ss{}` and `\o ` end with an empty group or a space that is not text.
            let mut used = name_len;
            if s[used..].starts_with("{}") {
                used += 2;
            } else if s[used..].starts_with(' ')
                && s[used + 1..].starts_with(|c: char| c.is_alphabetic())
                && name_len > 0
            {
                used += 1;
            }
            return Some((letter.to_owned(), used));
        }
    }
    None
}

/// Drops simple markup outside mathematics: `\emph{x}` → `x`, `{GPU}` → `GPU`, `\&` → `&`.
fn strip_markup(s: &str) -> String {
    const WRAPPERS: [&str; 9] = [
        "\\emph{",
        "\\textit{",
        "\\textbf{",
        "\\textrm{",
        "\\texttt{",
        "\\textsc{",
        "\\textsf{",
        "\\mathrm{",
        "\\text{",
    ];
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if let Some(w) = WRAPPERS.iter().find(|w| rest.starts_with(**w)) {
            i += w.len();
            continue; // the matching `}` is dropped below, like any protective brace
        }
        if rest.starts_with("\\\\") {
            // A line break, kept whole: its second backslash escapes nothing after it.
            out.push_str("\\\\");
            i += 2;
            continue;
        }
        let ch = rest.chars().next().expect("invariant: i < len");
        match ch {
            '{' | '}' => {}
            '\\' if rest.len() > 1 && matches!(rest.as_bytes()[1], b'&' | b'%' | b'_' | b'#') => {
                out.push(rest.as_bytes()[1] as char);
                i += 1;
            }
            _ => out.push(ch),
        }
        i += ch.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn collapses_wrapped_lines() {
        assert_eq!(
            collapse_whitespace("  As helium-4 is cooled\nbelow 2.17 K  it\n  undergoes "),
            "As helium-4 is cooled below 2.17 K it undergoes"
        );
    }

    #[test]
    fn turns_tex_accents_into_letters() {
        assert_eq!(normalize_text("C. Bal\\'azs"), "C. Balázs");
        assert_eq!(normalize_text("Schr{\\\"o}dinger"), "Schrödinger");
        assert_eq!(
            normalize_text("Fran\\c{c}ois and \\v{S}koda"),
            "François and Škoda"
        );
        assert_eq!(
            normalize_text("Stra\\ss e, Erd\\H{o}s, \\'{\\i}"),
            "Straße, Erdős, í"
        );
        assert_eq!(normalize_text("\\AA ngstr\\\"om"), "Ångström");
    }

    #[test]
    fn leaves_math_alone() {
        let s = "The $\\'a$ case and $^{11}$Be";
        assert_eq!(normalize_text(s), s);
        assert_eq!(
            normalize_title("Scaling of $\\mathrm{O}(n)$ with \\emph{Deep} {GPU} nets"),
            "Scaling of $\\mathrm{O}(n)$ with Deep GPU nets"
        );
    }

    #[test]
    fn does_not_eat_other_commands() {
        assert_eq!(
            normalize_text("see \\cite{x} and \\ref{y}"),
            "see \\cite{x} and \\ref{y}"
        );
        assert_eq!(
            normalize_title("Q\\&A on 100\\% of data"),
            "Q&A on 100% of data"
        );
    }

    #[test]
    fn repairs_double_encoded_utf8() {
        assert_eq!(normalize_text("Dirk WÃ¼bben"), "Dirk Wübben");
        assert_eq!(normalize_text("Dirk Wübben"), "Dirk Wübben");
    }

    #[test]
    fn title_keys_ignore_case_punctuation_and_markup() {
        assert_eq!(
            title_key("YOLOv9: Learning What You Want to Learn"),
            title_key("yolov9 -- learning what you want\n to learn.")
        );
        assert_eq!(title_key("{\\emph{Deep}} Nets"), "deep nets");
    }

    #[test]
    fn stripping_markup_never_escapes_the_dollar_that_opens_mathematics() {
        // Found by `normalisation_is_idempotent`: dropping the `}` of `\}` before `$` turned
        // `\}$` into `\$`, so the second pass saw different mathematics.
        let s = "$$\\}${$";
        let once = normalize_title(s);
        assert_eq!(normalize_title(&once), once);
        assert_eq!(normalize_title("a \\emph{b} $x$"), "a b $x$");
    }

    #[test]
    fn an_accent_is_not_put_on_a_letter_an_earlier_pass_accented() {
        // Found by `normalisation_is_idempotent` in CI: dropping the brace of `\{` made `\=A`
        // into `Ā`, and the next pass put the `\^` before it on top.
        let once = normalize_title("\\^\\{=A");
        assert_eq!(normalize_title(&once), once);
        assert_eq!(normalize_text("\\^Ā and \\^a"), "\\^Ā and â");
        let once = normalize_title("\\^\\{=B");
        assert_eq!(normalize_title(&once), once);
        // `\\` is a line break: the backslash after it does not start `\k` (an ogonek).
        let once = normalize_title("\\\\{k\nL");
        assert_eq!(normalize_title(&once), once);
        assert_eq!(normalize_title("a\\\\{k} b"), "a\\\\k b");
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent(s in "[a-zA-Z0-9 \\n\\\\'{}\"$.^~=-]{0,60}") {
            let once = normalize_title(&s);
            prop_assert_eq!(normalize_title(&once), once.clone());
            prop_assert!(!once.contains("  "));
        }

        #[test]
        fn the_ascii_scan_collapses_whitespace_as_unicode_does(
            s in "[a-z \t\n\r\x0B\x0C.]{0,40}"
        ) {
            prop_assert_eq!(collapse_whitespace(&s), collapse_unicode_whitespace(&s));
        }

        #[test]
        fn never_panics_on_any_text(s in "\\PC{0,80}") {
            let _ = normalize_title(&s);
            let _ = title_key(&s);
        }
    }
}
