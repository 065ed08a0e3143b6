//! From a transcript line to what the diagram draws for it.
//!
//! Every line of a transcript reads `[actor] text`. The [`RULES`] table says,
//! by how `text` starts (or what it contains), which shape it becomes: an arrow
//! between two lanes (bytes, connect, FIN, RST, a signal, typing into the
//! client) or a box on one lane (an exit, a wait that ran out, a remark). The
//! first rule that matches wins; a line no rule knows becomes a plain box, so a
//! new kind of line is never lost, only drawn plainly until it gets a row.
//!
//! The renderer (`svg.rs`) knows only shapes, never the words of a lab. A UDP
//! lab whose datagrams read `[cliente 1] → datagrama "..."` is drawn already
//! (the `→ ` row, payload found by its quotes); one written some other way,
//! say `[cliente 1] ⇢ "..."`, needs one more row here:
//! `arrow(Starts("⇢ "), Actor, Peer, Tone::Data, Payload)`, nothing else. A
//! tone of its own (`Tone::Datagram`) would add one colour in `svg::colours`,
//! where the compiler asks for it.

use crate::transcript::unescape;

/// One end of an arrow, or where a box sits, relative to the line's actor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The lane of the line's `[actor]`.
    Actor,
    /// Whom the actor talks to over the network: the learner's program, or
    /// the grader (`corretor`) when the actor is the learner's program itself.
    Peer,
    /// The learner's program (the step's `servidor` or `cliente`).
    Learner,
    /// The client's terminal: its standard input and output.
    Terminal,
}

/// What an event means, which decides its colour and stroke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Bytes on the connection.
    Data,
    /// Setting up: start a program, listen, connect, accept.
    Setup,
    /// An orderly close: FIN, the EOF the other side reads.
    Close,
    /// An abrupt end: RST, SIGKILL.
    Reset,
    /// A signal the grader sends (SIGTERM, SIGINT).
    Signal,
    /// The client's terminal: what is typed, what it prints.
    Terminal,
    /// A program ending on its own (its exit code).
    Exit,
    /// A wait: silence kept on purpose, or a deadline that ran out.
    Wait,
    /// Something went wrong (could not connect, a panic, an error).
    Problem,
    /// Anything else worth a remark.
    Note,
}

/// What an arrow says above its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// The quoted bytes of the line (`"olá\n"`, escaped as in the transcript);
    /// the rest of the line, if any, goes below as a caption.
    Payload,
    /// A short technical word (`FIN`, `RST`, `connect`); the whole line's text
    /// goes below as the caption, so nothing of the transcript is lost.
    Word(&'static str),
    /// The line's text itself.
    Text,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Arrow {
        from: End,
        to: End,
        tone: Tone,
        label: Label,
    },
    /// A box on one lane, holding the line's text.
    Box { at: End, tone: Tone },
}

/// When a rule applies to a line's text (what follows `[actor] `).
#[derive(Clone, Copy, Debug)]
pub enum When {
    Starts(&'static str),
    Contains(&'static str),
}

impl When {
    fn matches(self, text: &str) -> bool {
        match self {
            When::Starts(prefix) => text.starts_with(prefix),
            When::Contains(part) => text.contains(part),
        }
    }
}

pub struct Rule {
    pub when: When,
    pub shape: Shape,
}

const fn arrow(when: When, from: End, to: End, tone: Tone, label: Label) -> Rule {
    Rule {
        when,
        shape: Shape::Arrow {
            from,
            to,
            tone,
            label,
        },
    }
}

const fn on_lane(when: When, tone: Tone) -> Rule {
    Rule {
        when,
        shape: Shape::Box {
            at: End::Actor,
            tone,
        },
    }
}

use End::{Actor, Learner, Peer, Terminal};
use Label::{Payload, Text, Word};
use When::{Contains, Starts};

/// Every kind of transcript line the grader writes (see `session.rs` and the
/// labs' scenarios), first match wins. Order matters where texts overlap:
/// "fecha só o lado de escrita" before "fecha a conexão", a reset seen by a
/// read before the generic "a conexão falhou".
pub const RULES: &[Rule] = &[
    // Bytes: `→` the actor sent them, `←` it received them.
    arrow(Starts("→ "), Actor, Peer, Tone::Data, Payload),
    arrow(Starts("← "), Peer, Actor, Tone::Data, Payload),
    // Opening.
    arrow(
        Starts("conecta em "),
        Actor,
        Peer,
        Tone::Setup,
        Word("connect"),
    ),
    arrow(
        Starts("conectou ao "),
        Actor,
        Peer,
        Tone::Setup,
        Word("connect → accept"),
    ),
    arrow(
        Starts("não conseguiu conectar"),
        Actor,
        Peer,
        Tone::Problem,
        Word("connect ✗"),
    ),
    // Closing, politely or not, from either side.
    arrow(
        Starts("fecha só o lado de escrita"),
        Actor,
        Peer,
        Tone::Close,
        Word("FIN (shutdown Write)"),
    ),
    arrow(
        Starts("fecha a conexão"),
        Actor,
        Peer,
        Tone::Close,
        Word("FIN"),
    ),
    arrow(
        Starts("derruba a conexão"),
        Actor,
        Peer,
        Tone::Reset,
        Word("RST"),
    ),
    arrow(
        Contains("fechou a conexão"),
        Peer,
        Actor,
        Tone::Close,
        Word("FIN → EOF"),
    ),
    arrow(Contains("(RST)"), Peer, Actor, Tone::Reset, Word("RST")),
    // The grader and the learner's program as a process.
    arrow(Starts("inicia o "), Actor, Learner, Tone::Setup, Text),
    arrow(
        Starts("derruba o servidor"),
        Actor,
        Learner,
        Tone::Reset,
        Word("SIGKILL"),
    ),
    arrow(Starts("envia SIG"), Actor, Learner, Tone::Signal, Text),
    // The client's terminal.
    arrow(
        Starts("digita no cliente"),
        Terminal,
        Learner,
        Tone::Terminal,
        Payload,
    ),
    arrow(
        Starts("fecha a entrada do cliente"),
        Terminal,
        Learner,
        Tone::Terminal,
        Word("EOF na entrada (Ctrl-D)"),
    ),
    arrow(
        Starts("imprimiu "),
        Actor,
        Terminal,
        Tone::Terminal,
        Payload,
    ),
    on_lane(Starts("terminou com "), Tone::Exit),
    // Waits: silence on purpose, or a deadline that ran out.
    on_lane(Contains("nada mais chegou"), Tone::Wait),
    on_lane(Contains("continua aberta depois"), Tone::Wait),
    on_lane(Contains("continua rodando"), Tone::Wait),
    on_lane(Starts("não conectou em"), Tone::Wait),
    on_lane(Starts("não imprimiu"), Tone::Wait),
    on_lane(Contains("calado"), Tone::Wait),
    on_lane(Starts("para de ler"), Tone::Wait),
    on_lane(Contains("não responde nada"), Tone::Wait),
    on_lane(Contains("enquanto isso"), Tone::Wait),
    // Trouble.
    on_lane(Starts("não conseguiu"), Tone::Problem),
    on_lane(Contains("falhou"), Tone::Problem),
    on_lane(Contains("pânico"), Tone::Problem),
    on_lane(Starts("não escreveu"), Tone::Problem),
    on_lane(Contains("já está ocupada"), Tone::Problem),
    on_lane(Contains("não só em 127.0.0.1"), Tone::Problem),
    on_lane(Contains("antes de aceitar"), Tone::Problem),
    on_lane(Contains("sem conectar"), Tone::Problem),
    on_lane(Starts("escuta em "), Tone::Setup),
];

/// What every line no rule knows becomes.
const FALLBACK: Shape = Shape::Box {
    at: End::Actor,
    tone: Tone::Note,
};

/// One line of a transcript, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Who speaks: `cliente 1`, `corretor`, `servidor`...
    pub actor: String,
    pub shape: Shape,
    /// The main text: the payload, the technical word, or the line's text.
    pub label: String,
    /// Said below the label in smaller type (the rest of the line).
    pub caption: Option<String>,
}

/// The actor that lines without `[actor]` are attributed to.
pub const GRADER: &str = "corretor";

/// Reads one transcript line.
pub fn read(line: &str) -> Event {
    let (actor, text) = split_actor(line);
    let shape = RULES
        .iter()
        .find(|rule| rule.when.matches(text))
        .map_or(FALLBACK, |rule| rule.shape);
    let (label, caption) = match shape {
        Shape::Arrow {
            label: Label::Payload,
            ..
        } => match split_payload(text) {
            // A read that ended with nothing: say so, `""` alone is easy to miss.
            Some((payload, None)) if payload == "\"\"" => (payload, Some("nenhum byte".to_owned())),
            Some((payload, around)) => (payload, around),
            // No quotes after all: show the text as it is.
            None => (text.to_owned(), None),
        },
        Shape::Arrow {
            label: Label::Word(word),
            ..
        } => (word.to_owned(), Some(text.to_owned())),
        _ => (text.to_owned(), None),
    };
    Event {
        actor: actor.to_owned(),
        shape,
        label,
        caption,
    }
}

/// `[cliente 1] → "x"` into (`cliente 1`, `→ "x"`).
fn split_actor(line: &str) -> (&str, &str) {
    line.strip_prefix('[')
        .and_then(|rest| rest.split_once("] "))
        .unwrap_or((GRADER, line.trim()))
}

/// The quoted payload(s) of a line, from the first quote to the last closing
/// one (`"a" + "b"` stays together), and what is left around it, without the
/// arrow: `→ "oi\n" (um byte por escrita)` gives (`"oi\n"`, `(um byte por escrita)`).
fn split_payload(text: &str) -> Option<(String, Option<String>)> {
    let start = text.find('"')?;
    let end = closing_quote_of_last(text, start)?;
    let payload = &text[start..=end];
    let before = text[..start]
        .trim()
        .trim_start_matches(['→', '←'])
        .trim()
        .trim_end_matches(':')
        .trim();
    let after = text[end + 1..].trim().trim_start_matches(':').trim();
    let around = [before, after]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Some((payload.to_owned(), (!around.is_empty()).then_some(around)))
}

/// Where the last quoted string of `text`, scanning from `start`, closes.
/// Quoted strings are escaped as `transcript::escape` writes them, so a
/// quote inside one is always `\"`.
fn closing_quote_of_last(text: &str, start: usize) -> Option<usize> {
    let mut last = None;
    let mut inside = false;
    let mut escaped = false;
    for (at, ch) in text.char_indices().skip_while(|&(at, _)| at < start) {
        if inside {
            match ch {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    inside = false;
                    last = Some(at);
                }
                _ => {}
            }
        } else if ch == '"' {
            // Another quoted string only if joined by ` + `; else the rest is a caption.
            if let Some(closed) = last
                && text[closed + 1..at].trim() != "+"
            {
                break;
            }
            inside = true;
        }
    }
    last
}

/// Keeps a payload label readable: one longer than `max` characters keeps its
/// start and its closing quote, and says how long the whole was: in bytes, or
/// in characters of the transcript when a placeholder (`<texto-6>`) stands
/// for bytes whose number the transcript does not keep.
pub fn abbreviate_payload(payload: &str, max: usize) -> String {
    let count = payload.chars().count();
    if count <= max {
        return payload.to_owned();
    }
    let size = match (cut_by_transcript(payload), unescape(payload)) {
        // Already abbreviated by the session (`…[N caracteres]…`): the whole
        // is what is shown plus what the marker says it left out.
        (Some((marker, hidden)), _) => format!(
            "{} caracteres na transcrição",
            count - marker.chars().count() + hidden
        ),
        (None, Some(bytes)) if !has_placeholder(payload) => format!("{} bytes", bytes.len()),
        _ => format!("{count} caracteres na transcrição"),
    };
    let keep = max.saturating_sub(14).max(8);
    let head: String = payload.chars().take(keep).collect();
    // Never leave half an escape (`\` alone) at the cut.
    let head = head.strip_suffix('\\').unwrap_or(&head);
    format!("{head}…\" ({size})")
}

/// The marker a transcript puts in the middle of a line too long to keep
/// (`…[1234 caracteres]…`, see `session::abbreviate`) and the number in it.
fn cut_by_transcript(text: &str) -> Option<(&str, usize)> {
    let start = text.find("…[")?;
    let rest = &text[start + "…[".len()..];
    let (number, _) = rest.split_once(" caracteres]…")?;
    let hidden = number.parse().ok()?;
    let len = "…[".len() + number.len() + " caracteres]…".len();
    Some((&text[start..start + len], hidden))
}

/// Whether `text` holds a transcript placeholder: `<porta>`, `<aleatorio-3>`.
fn has_placeholder(text: &str) -> bool {
    text.split('<').skip(1).any(|rest| {
        rest.split_once('>').is_some_and(|(name, _)| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_of(line: &str) -> Shape {
        read(line).shape
    }

    /// Bytes keep their escaping, and what follows them is the caption.
    #[test]
    fn payloads_and_their_captions() {
        let e = read(r#"[cliente 2] → "maçã \"x\"\n" (um byte por escrita)"#);
        assert_eq!(e.actor, "cliente 2");
        assert_eq!(e.label, r#""maçã \"x\"\n""#);
        assert_eq!(e.caption.as_deref(), Some("(um byte por escrita)"));
        let e = read(r#"[corretor] → "a\n" + "b\n" (juntas, em pedaços sorteados)"#);
        assert_eq!(e.label, r#""a\n" + "b\n""#);
        assert_eq!(e.caption.as_deref(), Some("(juntas, em pedaços sorteados)"));
        // How a UDP lab might write a datagram: drawn as bytes, the word kept.
        let e = read(r#"[cliente 1] → datagrama "oi\n""#);
        assert_eq!(
            (e.label.as_str(), e.caption.as_deref()),
            (r#""oi\n""#, Some("datagrama"))
        );
        assert!(matches!(
            e.shape,
            Shape::Arrow {
                tone: Tone::Data,
                ..
            }
        ));
        let e = read(r#"[corretor] digita no cliente: "sair\n""#);
        assert_eq!(e.label, r#""sair\n""#);
        assert_eq!(e.caption.as_deref(), Some("digita no cliente"));
        assert!(matches!(
            e.shape,
            Shape::Arrow {
                from: End::Terminal,
                to: End::Learner,
                ..
            }
        ));
    }

    /// FIN and RST, sent or seen, point the right way.
    #[test]
    fn closes_and_resets() {
        let fin = |from, to| Shape::Arrow {
            from,
            to,
            tone: Tone::Close,
            label: Label::Word("FIN"),
        };
        assert_eq!(
            shape_of("[cliente 1] fecha a conexão"),
            fin(End::Actor, End::Peer)
        );
        assert!(matches!(
            shape_of("[cliente 1] o outro lado fechou a conexão (EOF)"),
            Shape::Arrow {
                from: End::Peer,
                to: End::Actor,
                tone: Tone::Close,
                ..
            }
        ));
        assert!(matches!(
            shape_of("[cliente 5] derruba a conexão (RST, sem se despedir)"),
            Shape::Arrow {
                tone: Tone::Reset,
                from: End::Actor,
                ..
            }
        ));
        assert!(matches!(
            shape_of("[cliente 1] a conexão falhou: conexão reiniciada pelo outro lado (RST)"),
            Shape::Arrow {
                tone: Tone::Reset,
                from: End::Peer,
                ..
            }
        ));
        assert!(matches!(
            shape_of("[cliente 3] fecha só o lado de escrita (shutdown Write): o servidor lê EOF"),
            Shape::Arrow {
                label: Label::Word("FIN (shutdown Write)"),
                ..
            }
        ));
    }

    /// Exits, waits and unknown lines are boxes; an unknown line keeps its text.
    #[test]
    fn boxes() {
        assert!(matches!(
            shape_of("[servidor] terminou com código 0"),
            Shape::Box {
                tone: Tone::Exit,
                ..
            }
        ));
        assert!(matches!(
            shape_of("[cliente 1] esperava uma linha terminada em \\n; nada mais chegou em 5 s"),
            Shape::Box {
                tone: Tone::Wait,
                ..
            }
        ));
        let e = read("[20 clientes] cada um envia 5 linhas, alternando");
        assert_eq!(e.shape, FALLBACK);
        assert_eq!(e.label, "cada um envia 5 linhas, alternando");
        assert_eq!(read("sem ator").actor, GRADER);
    }

    /// A long payload keeps its start and says its size in bytes.
    #[test]
    fn long_payloads_are_abbreviated() {
        let long = format!("\"{}\\n\"", "a".repeat(100));
        let short = abbreviate_payload(&long, 40);
        assert!(short.starts_with("\"aaaa"), "{short}");
        assert!(short.ends_with("…\" (101 bytes)"), "{short}");
        assert!(short.chars().count() < 45, "{short}");
        assert_eq!(abbreviate_payload("\"oi\"", 40), "\"oi\"");
        // A line the transcript already cut: its marker says how much is missing.
        let cut = format!(
            "\"{}…[70000 caracteres]…{}\"",
            "c".repeat(50),
            "d".repeat(50)
        );
        let shown = abbreviate_payload(&cut, 40);
        assert!(
            shown.ends_with("(70102 caracteres na transcrição)"),
            "{shown}"
        );
        // A placeholder's bytes are not in the transcript: count what is.
        let placeholder = format!("\"<texto-1>{}\"", "b".repeat(60));
        assert!(
            abbreviate_payload(&placeholder, 40).ends_with("(71 caracteres na transcrição)"),
            "{}",
            abbreviate_payload(&placeholder, 40)
        );
    }
}
