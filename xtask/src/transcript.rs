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
                c if c.is_control() => {
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

/// Where two transcript lines that carry bytes first differ, said in plain words.
/// Gives the learner the one fact a diff makes them hunt for.
pub fn first_difference(
    expected: &[String],
    received: &[String],
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
        return Some(describe_difference(exp, rec));
    }
    None
}

/// A stable code (explained in the book) and the difference in plain words.
fn describe_difference(expected: &[u8], received: &[u8]) -> (&'static str, String) {
    if received.is_empty() {
        return ("E-NADA-CHEGOU", "Nenhum byte chegou.".to_owned());
    }
    if let Some(extra) = received.strip_prefix(expected) {
        let text = format!(
            "A mensagem esperada chegou inteira, mas vieram {} byte(s) a mais depois dela: {}.",
            extra.len(),
            escape(extra)
        );
        return ("E-BYTES-A-MAIS", text);
    }
    if let Some(missing) = expected.strip_prefix(received) {
        let text = format!(
            "Chegou só o começo da mensagem: faltaram os últimos {} byte(s), {}.",
            missing.len(),
            escape(missing)
        );
        return ("E-MENSAGEM-INCOMPLETA", text);
    }
    let at = expected
        .iter()
        .zip(received)
        .take_while(|(a, b)| a == b)
        .count();
    let around = |bytes: &[u8]| escape(&bytes[at..bytes.len().min(at + 12)]);
    let text = format!(
        "Primeira diferença no byte {} (contando do 1): esperado {}, recebido {}.",
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
        assert_eq!(shown, r#""olá\n\r\t\"\\\xff\u{0}fim""#);
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
        let (code, text) = first_difference(&exp, &extra).unwrap();
        assert_eq!(code, "E-BYTES-A-MAIS");
        assert!(text.contains("1 byte(s) a mais"), "{text}");
        let (code, text) = first_difference(&exp, &cut).unwrap();
        assert_eq!(code, "E-MENSAGEM-INCOMPLETA");
        assert!(text.contains("faltaram os últimos 6"), "{text}");
        let (code, text) = first_difference(&exp, &typo).unwrap();
        assert_eq!(code, "E-BYTES-DIFERENTES");
        assert!(text.contains("byte 4"), "{text}");
        assert_eq!(first_difference(&exp, &exp), None);
    }
}
