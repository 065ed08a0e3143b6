//! Transcripts: the readable dialogue a run produces, and the golden one it is
//! compared with.
//!
//! A transcript is plain text, one event per line, grouped by step:
//!
//! ```text
//! ## boas-vindas
//! [cliente 1] ← "Bem-vindo ao servidor!"
//! ```
//!
//! `←` is what the grader received from the learner's program, `→` what it sent.
//! Bytes are shown as an escaped string so that `\n`, `\r` and non-UTF-8 bytes are
//! visible. Ports and random data are replaced by placeholders (`<porta>`,
//! `<aleatorio-1>`) before comparing, so the golden file is the same on every run.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

/// Shows bytes as a double-quoted string with every invisible byte escaped.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for ch in chunk.valid().chars() {
            match ch {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\0' => out.push_str("\\0"),
                // The other ASCII controls (ESC of a terminal colour, DEL...) as
                // the byte they are: `\x1b`.
                c if c.is_ascii_control() => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c if c.is_control() || is_invisible(c) => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out.push('"');
    out
}

/// Characters that print as nothing (or move text around) without being
/// control characters: zero-width spaces and joiners, direction marks and
/// overrides, line/paragraph separators, the byte-order mark, the soft hyphen.
/// Shown escaped, since a learner cannot see them in a terminal.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
    )
}

/// Reverses [`escape`] for the text between the quotes; `None` if it is not one of ours.
pub fn unescape(quoted: &str) -> Option<Vec<u8>> {
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = Vec::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next()? {
            '"' => out.push(b'"'),
            '\\' => out.push(b'\\'),
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            '0' => out.push(0),
            'x' => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&hex, 16).ok()?);
            }
            'u' => {
                let rest: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let code = u32::from_str_radix(rest.strip_prefix('{')?, 16).ok()?;
                let mut buf = [0; 4];
                out.extend_from_slice(char::from_u32(code)?.encode_utf8(&mut buf).as_bytes());
            }
            _ => return None,
        }
    }
    Some(out)
}

/// The golden transcript of one lab, split into its steps' sections.
#[derive(Debug, Default)]
pub struct Expected {
    sections: HashMap<String, Vec<String>>,
}

/// Why a golden transcript could not be used, in pt-BR.
#[derive(Debug)]
pub struct SnapshotError(pub String);

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Expected {
    /// Reads an insta snapshot file: the same file `cargo insta review` maintains.
    pub fn load(path: &Path) -> Result<Expected, SnapshotError> {
        let shown = path.display();
        if !path.exists() {
            return Err(SnapshotError(format!(
                "A transcrição de referência {shown} não existe. Ela é gerada por \
                 `cargo test --test transcricoes` e revisada com `cargo insta review`."
            )));
        }
        let snapshot = insta::Snapshot::from_file(path).map_err(|e| {
            SnapshotError(format!(
                "A transcrição de referência {shown} está malformada ({e}). \
                 Restaure-a com `git checkout -- {shown}`."
            ))
        })?;
        let Some(text) = snapshot.contents().as_text() else {
            return Err(SnapshotError(format!(
                "A transcrição de referência {shown} não é um snapshot de texto."
            )));
        };
        Ok(Expected::parse(&text.to_string()))
    }

    /// Splits `## <step>` sections; lines before the first section are ignored.
    pub fn parse(text: &str) -> Expected {
        let mut sections: HashMap<String, Vec<String>> = HashMap::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            if let Some(id) = line.strip_prefix("## ") {
                current = Some(id.trim().to_owned());
                sections.entry(id.trim().to_owned()).or_default();
            } else if let Some(id) = &current
                && !line.trim().is_empty()
            {
                sections
                    .entry(id.clone())
                    .or_default()
                    .push(line.to_owned());
            }
        }
        Expected { sections }
    }

    pub fn section(&self, step: &str) -> Option<&[String]> {
        self.sections.get(step).map(Vec::as_slice)
    }
}

/// A placeholder of the transcript and the real value it stands for in this
/// run: (`value`, `label`), as the session redacts them (`"4817"`, `"<porta>"`).
pub type Redaction = (String, String);

/// Where two transcript lines that carry bytes first differ, said in plain words.
/// Gives the learner the one fact a diff makes them hunt for.
///
/// Both sides are compared with their placeholders expanded back into this run's
/// real bytes (`redactions`): a placeholder (`<texto-6>`) stands for thousands of
/// bytes, so a position counted on the redacted text would be false. When the
/// difference falls inside a placeholder, the explanation says so too.
pub fn first_difference(
    expected: &[String],
    received: &[String],
    redactions: &[Redaction],
) -> Option<(&'static str, String)> {
    let payload = |line: &String| -> Option<(String, Vec<u8>)> {
        let start = line.find(['←', '→'])?;
        let (head, rest) = line.split_at(start);
        let arrow = rest.chars().next()?;
        let bytes = unescape(rest[arrow.len_utf8()..].trim())?;
        Some((format!("{head}{arrow}"), bytes))
    };
    let exp: Vec<_> = expected.iter().filter_map(payload).collect();
    let rec: Vec<_> = received.iter().filter_map(payload).collect();
    for ((exp_head, exp), (rec_head, rec)) in exp.iter().zip(&rec) {
        if exp_head != rec_head || exp == rec {
            continue;
        }
        let (exp, spans) = expand(exp, redactions);
        let (rec, _) = expand(rec, redactions);
        if exp == rec {
            continue;
        }
        return Some(describe_difference(&exp, &rec, &spans));
    }
    None
}

/// Where a placeholder's value sits in an expanded payload: bytes `start..end`.
struct Span<'a> {
    start: usize,
    end: usize,
    label: &'a str,
}

/// Replaces every placeholder in `bytes` by its value, noting where each went.
fn expand<'a>(bytes: &[u8], redactions: &'a [Redaction]) -> (Vec<u8>, Vec<Span<'a>>) {
    let mut out = Vec::with_capacity(bytes.len());
    let mut spans = Vec::new();
    let mut rest = bytes;
    'scan: while let Some((&first, tail)) = rest.split_first() {
        if first == b'<' {
            for (value, label) in redactions {
                if let Some(after) = rest.strip_prefix(label.as_bytes()) {
                    let start = out.len();
                    out.extend_from_slice(value.as_bytes());
                    spans.push(Span {
                        start,
                        end: out.len(),
                        label,
                    });
                    rest = after;
                    continue 'scan;
                }
            }
        }
        out.push(first);
        rest = tail;
    }
    (out, spans)
}

/// A stable code (explained in the book) and the difference in plain words.
fn describe_difference(expected: &[u8], received: &[u8], spans: &[Span]) -> (&'static str, String) {
    if received.is_empty() {
        return ("E-NADA-CHEGOU", "Nenhum byte chegou.".to_owned());
    }
    if let Some(extra) = received.strip_prefix(expected) {
        let text = format!(
            "A mensagem esperada chegou inteira, mas vieram {} byte(s) a mais depois dela: {}.",
            extra.len(),
            escape(&extra[..extra.len().min(40)])
        );
        return ("E-BYTES-A-MAIS", text);
    }
    if let Some(missing) = expected.strip_prefix(received) {
        let text = format!(
            "Chegou só o começo da mensagem: faltaram os últimos {} byte(s), {}.",
            missing.len(),
            escape(&missing[..missing.len().min(40)])
        );
        return ("E-MENSAGEM-INCOMPLETA", text);
    }
    let at = expected
        .iter()
        .zip(received)
        .take_while(|(a, b)| a == b)
        .count();
    let around = |bytes: &[u8]| escape(&bytes[at..bytes.len().min(at + 12)]);
    let inside = spans
        .iter()
        .find(|span| (span.start..span.end).contains(&at))
        .map(|span| {
            format!(
                " (o byte {} de {}, de {} bytes)",
                at - span.start + 1,
                span.label,
                span.end - span.start
            )
        })
        .unwrap_or_default();
    let text = format!(
        "Primeira diferença no byte {} (contando do 1){inside}: esperado {}, recebido {}.",
        at + 1,
        around(expected),
        around(received)
    );
    ("E-BYTES-DIFERENTES", text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Escaping makes every invisible byte visible and is reversible.
    #[test]
    fn escape_round_trips_invisible_bytes() {
        let raw = b"ol\xc3\xa1\n\r\t\"\\\xff\x00fim";
        let shown = escape(raw);
        assert_eq!(shown, r#""olá\n\r\t\"\\\xff\0fim""#);
        assert_eq!(unescape(&shown).as_deref(), Some(&raw[..]));
    }

    /// Sections are keyed by step id; blank lines and the preamble do not count.
    #[test]
    fn parse_splits_sections() {
        let e = Expected::parse("# cabeçalho\n## a\nx\n\ny\n## b\n");
        assert_eq!(e.section("a"), Some(&["x".to_owned(), "y".to_owned()][..]));
        assert_eq!(e.section("b"), Some(&[][..]));
        assert_eq!(e.section("c"), None);
    }

    /// The explanation names the defect: trailing bytes, a cut message, a typo.
    #[test]
    fn first_difference_names_the_defect() {
        let exp = vec![r#"[c] ← "Bem-vindo""#.to_owned()];
        let extra = vec![r#"[c] ← "Bem-vindo\n""#.to_owned()];
        let cut = vec![r#"[c] ← "Bem""#.to_owned()];
        let typo = vec![r#"[c] ← "Bem vindo""#.to_owned()];
        let (code, text) = first_difference(&exp, &extra, &[]).unwrap();
        assert_eq!(code, "E-BYTES-A-MAIS");
        assert!(text.contains("1 byte(s) a mais"), "{text}");
        let (code, text) = first_difference(&exp, &cut, &[]).unwrap();
        assert_eq!(code, "E-MENSAGEM-INCOMPLETA");
        assert!(text.contains("faltaram os últimos 6"), "{text}");
        let (code, text) = first_difference(&exp, &typo, &[]).unwrap();
        assert_eq!(code, "E-BYTES-DIFERENTES");
        assert!(text.contains("byte 4"), "{text}");
        assert_eq!(first_difference(&exp, &exp, &[]), None);
    }

    /// Every control byte is visible: NUL, the `\r` of a `\r\n`, a terminal
    /// colour's ESC, DEL, a zero-width space; and each escapes back to itself.
    #[test]
    fn escape_shows_every_control_byte() {
        let raw = "a\0b\r\n\x1b[31mc\x7f\u{85}d\u{200b}e".as_bytes();
        let shown = escape(raw);
        assert_eq!(shown, r#""a\0b\r\n\x1b[31mc\x7f\u{85}d\u{200b}e""#);
        assert_eq!(unescape(&shown).as_deref(), Some(raw));
    }

    /// A placeholder is compared as the bytes it stands for: the position is
    /// the real one, and it is also said inside the placeholder.
    #[test]
    fn first_difference_counts_placeholders_as_their_bytes() {
        let long = "abcdefghij".repeat(100);
        let mut wrong = long.clone();
        wrong.replace_range(700..701, "X");
        let redactions = vec![(long.clone(), "<texto-6>".to_owned())];
        let exp = vec![r#"[c] ← "Echo: <texto-6>\n""#.to_owned()];
        let rec = vec![format!(
            "[c] ← {}",
            escape(format!("Echo: {wrong}\n").as_bytes())
        )];
        let (code, text) = first_difference(&exp, &rec, &redactions).unwrap();
        assert_eq!(code, "E-BYTES-DIFERENTES");
        assert!(text.contains("byte 707 "), "{text}");
        assert!(
            text.contains("o byte 701 de <texto-6>, de 1000 bytes"),
            "{text}"
        );
        // Same bytes, one side redacted and the other not: no difference at all.
        let same = vec![format!(
            "[c] ← {}",
            escape(format!("Echo: {long}\n").as_bytes())
        )];
        assert_eq!(first_difference(&exp, &same, &redactions), None);
    }
}
