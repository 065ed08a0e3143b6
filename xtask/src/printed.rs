//! What a client printed, compared line by line and byte for byte.
//!
//! A client step expects a line on the client's standard output. The rule:
//!
//! - a line is what comes before a `\n` (or, once the program has exited, the
//!   unterminated rest of its output);
//! - it matches the expected text when it **ends exactly** with it. Only what
//!   comes before the text is free: a label the learner chose
//!   (`Mensagem recebida: `) or a prompt printed with `print!` on the same line.
//!   That free part must be visible text: no control bytes;
//! - nothing may follow the text on its line: not the NUL bytes of a whole
//!   buffer printed (`&buf` instead of `&buf[..n]`), not a `\r`.
//!
//! Lines are consumed in order (a [`Cursor`] per program): each expectation looks
//! only at what was printed after the line that satisfied the previous one.
//!
//! The verdict comes as soon as it is decided, not at the deadline: a matching
//! line, or a line that was clearly meant to be the expected one but is not (the
//! text followed by control bytes, the text's beginning cut short, the text
//! with control bytes inside it), or the end of the program's output.

/// Where the next expectation starts looking, in bytes from the start of stdout.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cursor(pub usize);

/// How a line printed by the client is wrong, when it was meant to be the expected one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Defect {
    /// NUL bytes in the line: a whole buffer printed.
    Nul,
    /// A carriage return in the line.
    CarriageReturn,
    /// Some other control byte (a terminal colour's ESC, a backspace...).
    Control,
    /// Only the beginning of the text, then the line ends: one read taken as
    /// the whole message.
    CutShort,
    /// The text, then more visible text after it on the same line.
    TrailingText,
}

/// The outcome of looking at the output so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A line ends exactly with the text; `next` is where the following lines start.
    Matched { next: usize },
    /// The line meant to be the expected one, and why it is not.
    Wrong {
        line: Vec<u8>,
        defect: Defect,
        next: usize,
    },
    /// The output ended without such a line.
    Missing,
}

/// The shortest beginning of the text that, ending a line, counts as the text
/// cut short. Shorter overlaps ("a line ending in `Re`") prove nothing.
const CUT_MIN: usize = 4;

/// Looks at `stdout` from `from`. `None`: not decided yet (wait for more output).
/// `closed`: the program's output has ended, so the unterminated rest is a line
/// and whatever was not found never will be.
///
/// A line that holds the text followed by visible text (`Conexão encerrada pelo
/// servidor` for `Conexão encerrada`) could be followed by the right one, so it
/// only decides once the output ends.
pub fn judge(stdout: &[u8], from: usize, text: &[u8], closed: bool) -> Option<Verdict> {
    let mut start = from.min(stdout.len());
    let mut weak: Option<(Vec<u8>, usize)> = None;
    loop {
        let rest = &stdout[start..];
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(end) => (&rest[..end], start + end + 1),
            None if closed && !rest.is_empty() => (rest, stdout.len()),
            None => break,
        };
        match look_at(line, text) {
            Look::Matches => return Some(Verdict::Matched { next }),
            Look::Wrong(defect) if defect != Defect::TrailingText => {
                return Some(Verdict::Wrong {
                    line: line.to_vec(),
                    defect,
                    next,
                });
            }
            Look::Wrong(_) => {
                weak.get_or_insert((line.to_vec(), next));
            }
            Look::Unrelated => {}
        }
        start = next;
    }
    if !closed {
        return None;
    }
    Some(match weak {
        Some((line, next)) => Verdict::Wrong {
            line,
            defect: Defect::TrailingText,
            next,
        },
        None => Verdict::Missing,
    })
}

/// At the deadline: the best guess at what the client printed instead.
pub fn closest(stdout: &[u8], from: usize, text: &[u8]) -> Option<(Vec<u8>, Defect)> {
    match judge(stdout, from, text, true)? {
        Verdict::Wrong { line, defect, .. } => Some((line, defect)),
        Verdict::Matched { .. } | Verdict::Missing => None,
    }
}

enum Look {
    Matches,
    Wrong(Defect),
    Unrelated,
}

fn look_at(line: &[u8], text: &[u8]) -> Look {
    if let Some(free) = line.strip_suffix(text)
        && !free.iter().any(u8::is_ascii_control)
    {
        return Look::Matches;
    }
    let control = control_defect(line);
    let has_text = contains(line, text);
    // The text is there but dirtied by control bytes, or is there once they are removed.
    if let Some(defect) = control {
        let visible: Vec<u8> = line
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_control())
            .collect();
        if has_text || contains(&visible, text) {
            return Look::Wrong(defect);
        }
    }
    if has_text {
        return Look::Wrong(Defect::TrailingText);
    }
    let trimmed = line.strip_suffix(b"\r").unwrap_or(line);
    if (CUT_MIN.min(text.len())..text.len()).any(|k| trimmed.ends_with(&text[..k])) {
        return Look::Wrong(control.unwrap_or(Defect::CutShort));
    }
    Look::Unrelated
}

/// The most telling control byte in a line: NUL, then `\r`, then any other.
fn control_defect(line: &[u8]) -> Option<Defect> {
    if line.contains(&0) {
        Some(Defect::Nul)
    } else if line.contains(&b'\r') {
        Some(Defect::CarriageReturn)
    } else if line.iter().any(|b| b.is_ascii_control() && *b != b'\t') {
        Some(Defect::Control)
    } else {
        None
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(out: &[u8], text: &str, closed: bool) -> Option<Verdict> {
        judge(out, 0, text.as_bytes(), closed)
    }

    fn wrong(out: &[u8], text: &str) -> Option<Defect> {
        match verdict(out, text, false) {
            Some(Verdict::Wrong { defect, .. }) => Some(defect),
            _ => None,
        }
    }

    /// The line ends with the text; a label or a prompt before it is free.
    #[test]
    fn a_line_ending_with_the_text_matches() {
        let out = b"Conectado em 1\nMensagem recebida: Bem-vindo!\n";
        assert_eq!(
            verdict(out, "Bem-vindo!", false),
            Some(Verdict::Matched { next: out.len() })
        );
        let prompt = b"Digite (ou \"sair\"): Resposta: Echo: oi\n";
        assert!(matches!(
            verdict(prompt, "Resposta: Echo: oi", false),
            Some(Verdict::Matched { .. })
        ));
        // Not yet a line: wait. Once the program has exited: it is one.
        assert_eq!(verdict(b"Bem-vindo!", "Bem-vindo!", false), None);
        assert!(matches!(
            verdict(b"Bem-vindo!", "Bem-vindo!", true),
            Some(Verdict::Matched { .. })
        ));
    }

    /// NULs after the text, a `\r`, a colour: decided at once, and named.
    #[test]
    fn control_bytes_are_the_difference() {
        let mut nul = b"Mensagem recebida: Bem-vindo!".to_vec();
        nul.extend_from_slice(&[0; 1000]);
        nul.push(b'\n');
        assert_eq!(wrong(&nul, "Bem-vindo!"), Some(Defect::Nul));
        assert_eq!(
            wrong(b"Bem-vindo!\r\n", "Bem-vindo!"),
            Some(Defect::CarriageReturn)
        );
        assert_eq!(
            wrong(b"\x1b[32mBem-vindo!\x1b[0m\n", "Bem-vindo!"),
            Some(Defect::Control)
        );
        assert_eq!(
            wrong(b"Bem-vindo\x07!\n", "Bem-vindo!"),
            Some(Defect::Control)
        );
    }

    /// The text's beginning, then the end of the line: one read taken as the message.
    #[test]
    fn a_cut_line_is_decided_at_once() {
        assert_eq!(
            wrong(b"Resposta: Echo: oi ba\n", "Resposta: Echo: oi babe123"),
            Some(Defect::CutShort)
        );
        // Too short an overlap to say anything: keep waiting.
        assert_eq!(verdict(b"bla Re\n", "Resposta: x", false), None);
    }

    /// Visible text after the text only decides once the output ends; an
    /// unrelated line never does; an earlier line does not count twice.
    #[test]
    fn trailing_text_waits_for_the_end_of_output() {
        let out = b"Conex\xc3\xa3o encerrada pelo servidor\n";
        assert_eq!(verdict(out, "Conexão encerrada", false), None);
        assert_eq!(
            verdict(out, "Conexão encerrada", true),
            Some(Verdict::Wrong {
                line: out[..out.len() - 1].to_vec(),
                defect: Defect::TrailingText,
                next: out.len(),
            })
        );
        assert_eq!(
            verdict(b"outra coisa\n", "Bem-vindo", true),
            Some(Verdict::Missing)
        );
        let twice = b"Resposta: a\n";
        assert_eq!(
            judge(twice, twice.len(), b"Resposta: a", true),
            Some(Verdict::Missing)
        );
    }
}
