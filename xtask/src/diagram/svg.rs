//! Drawing a conversation as a sequence diagram, in plain SVG.
//!
//! One lane per participant, in columns; one row per transcript line, top to
//! bottom. Only presentation attributes are used (no `<style>`, no ids): the
//! book inlines several of these in one page, where a stylesheet or an id
//! would leak from one picture into the others.

use std::fmt::Write as _;

use super::events::{self, End, Event, GRADER, Shape, Tone};
use super::{Conversation, Verdict};
use crate::catalog::Role;

const SANS: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif";
const MONO: &str = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace";
/// Estimated advance of one character, in pixels, for 12 px monospace and
/// sans-serif text (generous, so that labels do not overflow their lanes).
const MONO_CHAR: f64 = 7.3;
const SANS_CHAR: f64 = 6.7;
const BOLD_CHAR: f64 = 7.4;
/// Payload labels longer than this are abbreviated (see `abbreviate_payload`).
const PAYLOAD_MAX: usize = 80;
const MARGIN: f64 = 16.0;
/// Room on the left for the "✗ recebido" and "esperado" tags of a failure.
const GUTTER: f64 = 84.0;
const MIN_LANE: f64 = 150.0;
const MAX_LANE: f64 = 360.0;
/// The lanes share this width, when they can: about a book page's column.
/// Labels wider than their lane wrap instead of widening the picture.
const PAGE_WIDTH: f64 = 700.0;
const LINE: f64 = 15.0;

/// Lanes the grader's events can point at without naming them.
const TERMINAL: &str = "terminal";

/// The colour of each tone: (stroke, fill of a box).
fn colours(tone: Tone) -> (&'static str, &'static str) {
    match tone {
        Tone::Data => ("#1f2937", "#f9fafb"),
        Tone::Setup => ("#2563eb", "#eff6ff"),
        Tone::Close => ("#7c3aed", "#f5f3ff"),
        Tone::Reset => ("#dc2626", "#fef2f2"),
        Tone::Signal => ("#d97706", "#fffbeb"),
        Tone::Terminal => ("#0f766e", "#f0fdfa"),
        Tone::Exit => ("#4f46e5", "#eef2ff"),
        Tone::Wait => ("#a16207", "#fefce8"),
        Tone::Problem => ("#dc2626", "#fee2e2"),
        Tone::Note => ("#6b7280", "#f3f4f6"),
    }
}

fn dashes(tone: Tone) -> Option<&'static str> {
    match tone {
        Tone::Setup => Some("6 4"),
        Tone::Terminal => Some("2 3"),
        Tone::Wait => Some("4 3"),
        _ => None,
    }
}

const FAIL: &str = "#b91c1c";
const EXPECTED: &str = "#15803d";

/// How one event is drawn: its shape resolved to lane indices.
enum Mark<'a> {
    Arrow {
        from: usize,
        to: usize,
        tone: Tone,
        event: &'a Event,
    },
    Box {
        lane: usize,
        tone: Tone,
        event: &'a Event,
    },
}

/// How a row is singled out in a failing step.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Emphasis {
    Plain,
    /// What was received where the golden transcript differs.
    Received,
    /// A line received beyond what the golden transcript has.
    Extra,
    /// What the golden transcript has there (a ghost: it did not happen so).
    Expected,
}

struct Lanes {
    names: Vec<String>,
    learner: &'static str,
}

impl Lanes {
    /// Terminal first, the learner's client next to it and the grader's
    /// server after; for a server step, the grader (who starts and stops the
    /// server) first, its clients next and the learner's server last.
    /// Otherwise in order of appearance.
    fn new(events: &[&Event], learner: Role) -> Lanes {
        let learner_name = learner.label();
        let mut seen: Vec<String> = Vec::new();
        let mut note = |name: String| {
            if !seen.contains(&name) {
                seen.push(name);
            }
        };
        for event in events {
            for end in ends(event.shape) {
                note(resolve(end, &event.actor, learner_name));
            }
        }
        // The grader's own lane leads the others (stable sort: the rest keep
        // their order of appearance).
        seen.sort_by_key(|n| n != GRADER);
        let others = seen
            .iter()
            .filter(|n| *n != learner_name && *n != TERMINAL)
            .cloned();
        let mut names = Vec::new();
        if seen.iter().any(|n| n == TERMINAL) {
            names.push(TERMINAL.to_owned());
        }
        match learner {
            Role::Client => {
                names.push(learner_name.to_owned());
                names.extend(others);
            }
            Role::Server => {
                names.extend(others);
                names.push(learner_name.to_owned());
            }
        }
        Lanes {
            names,
            learner: learner_name,
        }
    }

    fn index(&self, end: End, actor: &str) -> usize {
        let name = resolve(end, actor, self.learner);
        self.names.iter().position(|n| *n == name).unwrap_or(0)
    }

    fn mark<'a>(&self, event: &'a Event) -> Mark<'a> {
        match event.shape {
            Shape::Arrow { from, to, tone, .. } => {
                let (from, to) = (self.index(from, &event.actor), self.index(to, &event.actor));
                if from == to {
                    Mark::Box {
                        lane: from,
                        tone,
                        event,
                    }
                } else {
                    Mark::Arrow {
                        from,
                        to,
                        tone,
                        event,
                    }
                }
            }
            Shape::Box { at, tone } => Mark::Box {
                lane: self.index(at, &event.actor),
                tone,
                event,
            },
        }
    }

    /// The small line under a lane's name: whose it is.
    fn role_of(&self, name: &str) -> &'static str {
        if name == self.learner {
            "seu programa"
        } else if name == TERMINAL {
            "entrada e saída do cliente"
        } else if name == GRADER {
            ""
        } else {
            "papel do corretor"
        }
    }
}

fn ends(shape: Shape) -> Vec<End> {
    match shape {
        Shape::Arrow { from, to, .. } => vec![from, to],
        Shape::Box { at, .. } => vec![at],
    }
}

/// The lane an end names, for a line said by `actor`.
fn resolve(end: End, actor: &str, learner: &str) -> String {
    match end {
        End::Actor => actor.to_owned(),
        End::Peer if actor == learner => GRADER.to_owned(),
        End::Peer | End::Learner => learner.to_owned(),
        End::Terminal => TERMINAL.to_owned(),
    }
}

/// The label as drawn: payloads abbreviated when long.
fn shown_label(event: &Event) -> String {
    match event.shape {
        Shape::Arrow {
            label: events::Label::Payload,
            ..
        } => events::abbreviate_payload(&event.label, PAYLOAD_MAX),
        _ => event.label.clone(),
    }
}

fn is_mono(event: &Event) -> bool {
    matches!(
        event.shape,
        Shape::Arrow {
            label: events::Label::Payload,
            ..
        }
    )
}

/// Where things go: the lanes, their width, the picture's width.
struct Layout {
    lanes: Lanes,
    lane_w: f64,
    left: f64,
    width: f64,
}

impl Layout {
    /// The x of a lane's lifeline.
    fn x(&self, lane: usize) -> f64 {
        self.left + self.lane_w * (lane as f64 + 0.5)
    }
}

/// Renders the conversation as a standalone SVG document.
pub fn render(conv: &Conversation) -> String {
    let events: Vec<Event> = conv.lines.iter().map(|l| events::read(l)).collect();
    let failure = match &conv.verdict {
        Verdict::Failed(failure) => Some(failure),
        _ => None,
    };
    let ghost = failure
        .and_then(|f| f.expected.as_deref())
        .map(events::read);
    let all: Vec<&Event> = events.iter().chain(ghost.as_ref()).collect();
    let lanes = Lanes::new(&all, conv.learner);
    let lane_w = lane_width(&lanes, &all);
    let left = if failure.is_some() { GUTTER } else { MARGIN };
    let layout = Layout {
        width: left + lane_w * lanes.names.len() as f64 + MARGIN,
        lanes,
        lane_w,
        left,
    };

    let mut body = String::new();
    let y = title(&mut body, conv, layout.width);
    let lifelines_top = headers(&mut body, &layout, y);

    // The rows go in a buffer of their own: the lifelines, whose length is
    // known only once the rows are laid out, must come first so that the
    // rows are painted over them.
    let mut rows = String::new();
    let mut y = lifelines_top + 14.0;
    let at = failure.map(|f| f.at.min(events.len()));
    for (index, event) in events.iter().enumerate() {
        y = match (at == Some(index), failure) {
            (true, Some(failure)) => {
                failure_rows(&mut rows, y, failure, ghost.as_ref(), Some(event), &layout)
            }
            _ => draw(&mut rows, y, event, &layout, Emphasis::Plain),
        };
    }
    if let Some(failure) = failure
        && at == Some(events.len())
    {
        y = failure_rows(&mut rows, y, failure, ghost.as_ref(), None, &layout);
    }
    if events.is_empty() && failure.is_none() {
        y += 6.0;
        let _ = write!(
            rows,
            r##"<text x="{:.1}" y="{y}" font-size="12" text-anchor="middle" fill="#6b7280">(nada passou pela rede neste passo)</text>"##,
            layout.width / 2.0
        );
        y += 14.0;
    }
    let bottom = y + 4.0;
    for i in 0..layout.lanes.names.len() {
        let x = layout.x(i);
        let _ = write!(
            body,
            r##"<line x1="{x:.1}" y1="{lifelines_top}" x2="{x:.1}" y2="{bottom}" stroke="#9ca3af" stroke-dasharray="3 4"/>"##
        );
    }
    body.push_str(&rows);
    document(conv, layout.width, bottom + MARGIN, &body)
}

/// The `<svg>` element around `body`, one element per line: readable and
/// diffable, and with no blank line (the book inlines it in Markdown, where
/// one would end the HTML block).
fn document(conv: &Conversation, width: f64, height: f64, body: &str) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" role="img" font-family="{SANS}" fill="#111827" style="max-width:100%;height:auto">"##
    );
    let _ = write!(
        svg,
        "\n<title>{} — {}</title>",
        esc(&conv.heading),
        esc(&conv.title)
    );
    // A white card: readable on the book's dark themes too.
    let _ = write!(
        svg,
        "\n<rect x=\"0.5\" y=\"0.5\" width=\"{:.0}\" height=\"{:.0}\" rx=\"8\" fill=\"#ffffff\" stroke=\"#d1d5db\"/>",
        width - 1.0,
        height - 1.0
    );
    for element in body.split_inclusive('>') {
        if element.starts_with('<') && !element.starts_with("</") {
            svg.push('\n');
        }
        svg.push_str(element);
    }
    svg.push_str("\n</svg>\n");
    svg
}

/// The heading (which step, how it went) and what the step checks; returns
/// where the lane headers start.
fn title(out: &mut String, conv: &Conversation, width: f64) -> f64 {
    let (verdict, colour) = match &conv.verdict {
        Verdict::Golden => ("transcrição de referência", "#374151"),
        Verdict::Passed => ("✓ passou", EXPECTED),
        Verdict::Failed(_) => ("✗ falhou", FAIL),
    };
    let mut y = MARGIN + 14.0;
    let _ = write!(
        out,
        r##"<text x="{MARGIN}" y="{y}" font-size="14" font-weight="bold">{}</text>"##,
        esc(&conv.heading)
    );
    let after_heading = MARGIN + (conv.heading.chars().count() as f64 + 2.0) * 8.2;
    let _ = write!(
        out,
        r##"<text x="{after_heading:.1}" y="{y}" font-size="12" font-weight="bold" fill="{colour}">{verdict}</text>"##
    );
    for line in wrap(&conv.title, chars_in(width - 2.0 * MARGIN, SANS_CHAR)) {
        y += LINE;
        let _ = write!(
            out,
            r##"<text x="{MARGIN}" y="{y}" font-size="12" fill="#374151">{}</text>"##,
            esc(&line)
        );
    }
    y + 12.0
}

/// A box with each lane's name and whose it is; returns where the lifelines start.
fn headers(out: &mut String, layout: &Layout, top: f64) -> f64 {
    let height = 36.0;
    for (i, name) in layout.lanes.names.iter().enumerate() {
        let x = layout.x(i);
        let w = (layout.lane_w - 16.0)
            .min(190.0)
            .max(name_width(name) + 12.0);
        let role = layout.lanes.role_of(name);
        let (stroke, fill) = if *name == layout.lanes.learner {
            ("#1d4ed8", "#dbeafe")
        } else {
            ("#6b7280", "#f3f4f6")
        };
        let _ = write!(
            out,
            r##"<rect x="{:.1}" y="{top}" width="{w:.1}" height="{height}" rx="5" fill="{fill}" stroke="{stroke}"/>"##,
            x - w / 2.0
        );
        let name_y = top + if role.is_empty() { 22.0 } else { 15.0 };
        let _ = write!(
            out,
            r##"<text x="{x:.1}" y="{name_y}" font-size="12" font-weight="bold" text-anchor="middle">{}</text>"##,
            esc(name)
        );
        if !role.is_empty() {
            let _ = write!(
                out,
                r##"<text x="{x:.1}" y="{}" font-size="10" text-anchor="middle" fill="#4b5563">{role}</text>"##,
                top + 29.0
            );
        }
    }
    top + height
}

/// The rows that show a failure: what came (if anything came) marked, what
/// was expected as a ghost, and the grader's diagnosis.
fn failure_rows(
    out: &mut String,
    mut y: f64,
    failure: &super::Failure,
    ghost: Option<&Event>,
    received: Option<&Event>,
    layout: &Layout,
) -> f64 {
    if let Some(event) = received {
        let emphasis = if ghost.is_some() {
            Emphasis::Received
        } else {
            Emphasis::Extra
        };
        y = draw(out, y, event, layout, emphasis);
    }
    if let Some(event) = ghost {
        y = draw(out, y, event, layout, Emphasis::Expected);
    }
    // The diagnosis, across the lanes.
    let x = GUTTER;
    let w = layout.width - GUTTER - MARGIN;
    let mut lines = vec![if received.is_none() && ghost.is_some() {
        "✗ O passo falhou aqui: o esperado não aconteceu.".to_owned()
    } else {
        "✗ O passo falhou aqui.".to_owned()
    }];
    for note in &failure.notes {
        lines.extend(wrap(note, chars_in(w - 16.0, SANS_CHAR)));
    }
    let h = lines.len() as f64 * LINE + 10.0;
    let _ = write!(
        out,
        r##"<rect x="{x:.1}" y="{:.1}" width="{w:.1}" height="{h:.1}" rx="4" fill="#fef2f2" stroke="{FAIL}" stroke-width="1.5"/>"##,
        y - 4.0
    );
    for (i, line) in lines.iter().enumerate() {
        let weight = if i == 0 { " font-weight=\"bold\"" } else { "" };
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" fill="{FAIL}"{weight}>{}</text>"#,
            x + 8.0,
            y + 8.0 + i as f64 * LINE,
            esc(line)
        );
    }
    y + h + 10.0
}

/// Draws one row at `top`; returns where the next row starts.
fn draw(out: &mut String, top: f64, event: &Event, layout: &Layout, emphasis: Emphasis) -> f64 {
    let (start, height) = match layout.lanes.mark(event) {
        Mark::Arrow {
            from,
            to,
            tone,
            event,
        } => arrow(
            out,
            top,
            layout.x(from),
            layout.x(to),
            tone,
            event,
            emphasis,
        ),
        Mark::Box { lane, tone, event } => boxed(
            out,
            top,
            layout.x(lane),
            layout.lane_w,
            tone,
            event,
            emphasis,
        ),
    };
    if emphasis != Emphasis::Plain {
        let (tag, colour, fill) = match emphasis {
            Emphasis::Received => ("✗ recebido", FAIL, "#fee2e2"),
            Emphasis::Extra => ("✗ a mais", FAIL, "#fee2e2"),
            _ => ("esperado", EXPECTED, "#dcfce7"),
        };
        // The band goes under the row: insert it before the row's elements.
        let band = format!(
            r##"<rect x="4" y="{:.1}" width="{:.1}" height="{:.1}" rx="4" fill="{fill}" fill-opacity="0.7"/><text x="10" y="{:.1}" font-size="11" font-weight="bold" fill="{colour}">{tag}</text>"##,
            top - 4.0,
            layout.width - 8.0,
            height + 7.0,
            top + height / 2.0 + 4.0
        );
        out.insert_str(start, &band);
    }
    top + height + 6.0
}

/// An arrow with its label above; returns (where its elements start in
/// `out`, its height).
fn arrow(
    out: &mut String,
    top: f64,
    x1: f64,
    x2: f64,
    tone: Tone,
    event: &Event,
    emphasis: Emphasis,
) -> (usize, f64) {
    let start = out.len();
    let (mut stroke, _) = colours(tone);
    let mut dash = dashes(tone);
    match emphasis {
        Emphasis::Expected => {
            stroke = EXPECTED;
            dash = Some("5 4");
        }
        Emphasis::Received | Emphasis::Extra => stroke = FAIL,
        Emphasis::Plain => {}
    }
    let mid = (x1 + x2) / 2.0;
    let span = (x2 - x1).abs() - 12.0;
    let mut y = top + 12.0;
    let label = shown_label(event);
    let (font, char_w) = if is_mono(event) {
        (format!(r##" font-family="{MONO}""##), MONO_CHAR)
    } else {
        (String::new(), SANS_CHAR)
    };
    for line in wrap(&label, chars_in(span, char_w)) {
        let _ = write!(
            out,
            r##"<text x="{mid:.1}" y="{y:.1}" font-size="12"{font} text-anchor="middle" fill="{stroke}">{}</text>"##,
            esc(&line)
        );
        y += LINE;
    }
    if let Some(caption) = &event.caption {
        for line in wrap(caption, chars_in(span, SANS_CHAR * 0.92)) {
            y -= 2.0;
            let _ = write!(
                out,
                r##"<text x="{mid:.1}" y="{y:.1}" font-size="11" text-anchor="middle" fill="#4b5563">{}</text>"##,
                esc(&line)
            );
            y += LINE;
        }
    }
    let line_y = y - 6.0;
    let dir = if x2 > x1 { 1.0 } else { -1.0 };
    let tip = x2 - dir * 2.0;
    let dash_attr = dash
        .map(|d| format!(r##" stroke-dasharray="{d}""##))
        .unwrap_or_default();
    let width = if tone == Tone::Reset { 2.2 } else { 1.5 };
    let _ = write!(
        out,
        r##"<line x1="{:.1}" y1="{line_y:.1}" x2="{:.1}" y2="{line_y:.1}" stroke="{stroke}" stroke-width="{width}"{dash_attr}/>"##,
        x1 + dir * 2.0,
        tip - dir * 6.0
    );
    let _ = write!(
        out,
        r##"<polygon points="{tip:.1},{line_y:.1} {:.1},{:.1} {:.1},{:.1}" fill="{stroke}"/>"##,
        tip - dir * 10.0,
        line_y - 5.0,
        tip - dir * 10.0,
        line_y + 5.0
    );
    if tone == Tone::Reset {
        // A reset is a connection torn down: a cross where it lands.
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" font-size="14" font-weight="bold" text-anchor="middle" fill="{stroke}">✕</text>"##,
            tip + dir * 9.0,
            line_y + 5.0
        );
    }
    (start, line_y + 4.0 - top)
}

/// A box on one lane; returns (where its elements start, its height).
fn boxed(
    out: &mut String,
    top: f64,
    x: f64,
    lane_w: f64,
    tone: Tone,
    event: &Event,
    emphasis: Emphasis,
) -> (usize, f64) {
    let start = out.len();
    let (mut stroke, fill) = colours(tone);
    match emphasis {
        Emphasis::Expected => stroke = EXPECTED,
        Emphasis::Received | Emphasis::Extra => stroke = FAIL,
        Emphasis::Plain => {}
    }
    let lines = wrap(&event.label, chars_in(lane_w - 24.0, SANS_CHAR));
    let longest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let w = longest as f64 * SANS_CHAR + 16.0;
    let h = lines.len() as f64 * LINE + 8.0;
    let dash = if emphasis == Emphasis::Expected {
        Some("5 4")
    } else {
        dashes(tone)
    };
    let dash_attr = dash
        .map(|d| format!(r##" stroke-dasharray="{d}""##))
        .unwrap_or_default();
    let _ = write!(
        out,
        r##"<rect x="{:.1}" y="{top:.1}" width="{w:.1}" height="{h:.1}" rx="4" fill="{fill}" stroke="{stroke}"{dash_attr}/>"##,
        x - w / 2.0
    );
    for (i, line) in lines.iter().enumerate() {
        let _ = write!(
            out,
            r##"<text x="{x:.1}" y="{:.1}" font-size="12" text-anchor="middle">{}</text>"##,
            top + 15.0 + i as f64 * LINE,
            esc(line)
        );
    }
    (start, h)
}

/// The distance between lanes: wide enough for the longest label between two
/// neighbours, within bounds.
fn lane_width(lanes: &Lanes, events: &[&Event]) -> f64 {
    let mut need = MIN_LANE;
    for event in events {
        if let Mark::Arrow { from, to, .. } = lanes.mark(event) {
            let char_w = if is_mono(event) { MONO_CHAR } else { SANS_CHAR };
            let label = shown_label(event).chars().count().min(PAYLOAD_MAX) as f64 * char_w;
            let apart = from.abs_diff(to) as f64;
            need = need.max((label + 24.0) / apart);
        }
    }
    let fair = (PAGE_WIDTH / lanes.names.len() as f64).clamp(MIN_LANE, MAX_LANE);
    // A lane's name is never cut: `100 dos 1000 clientes` widens every lane.
    let names = lanes
        .names
        .iter()
        .map(|n| name_width(n) + 28.0)
        .fold(0.0, f64::max);
    need.min(fair).max(names)
}

/// The width of a lane's name in its header (12 px bold).
fn name_width(name: &str) -> f64 {
    name.chars().count() as f64 * BOLD_CHAR
}

fn chars_in(px: f64, char_w: f64) -> usize {
    ((px / char_w).floor() as usize).max(12)
}

/// Splits text into lines of at most `max` characters, at spaces when it can.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word = word.to_owned();
        // A word longer than a line (a long payload) is cut where it must be.
        while word.chars().count() > max {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let head: String = word.chars().take(max).collect();
            word = word.chars().skip(max).collect();
            lines.push(head);
        }
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > max {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Text for XML: the five special characters as entities, and any control
/// character (XML 1.0 forbids most) as U+FFFD. Transcript payloads arrive
/// escaped already; this guards the rest (notes quoting a program's output).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines break at spaces; a word too long is cut; nothing is lost.
    #[test]
    fn wrap_keeps_every_character() {
        assert_eq!(wrap("um dois três", 7), vec!["um dois", "três"]);
        let cut = wrap("abcdefghij", 4);
        assert_eq!(cut, vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 5), vec![""]);
    }

    /// Nothing a program sends can break the XML.
    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            esc("<a & \"b\">\u{1b}"),
            "&lt;a &amp; &quot;b&quot;&gt;\u{fffd}"
        );
    }
}
