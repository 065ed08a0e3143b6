//! Step lifecycle and transcript: begin and end a step, record what happened,
//! note a diagnosis, judge the step against the golden transcript.

use std::time::Duration;

use tokio::time::Instant;

use super::{ByHand, Current, Flow, Note, Session, Status, StepResult, Stop, slot};
use crate::lab::Role;
use crate::transcript::first_difference;

impl Session {
    /// Starts the part of the scenario that grades `role`. Random placeholders are
    /// numbered from 1 in each part, so a run that grades only the client
    /// (`--client-cmd`) shows the same labels as a full run.
    pub fn begin_part(&mut self, role: Role) -> bool {
        self.random_count = 0;
        self.wants(role)
    }

    /// Whether this run grades `role` (both, unless `--server-cmd`/`--client-cmd`).
    pub fn wants(&self, role: Role) -> bool {
        self.launches[slot(role)].is_some()
    }

    // ---- steps -------------------------------------------------------------

    /// Starts the step `id`. Stops the run if `--step` was reached.
    pub fn begin(&mut self, id: &str) -> Flow {
        let index = self
            .lab
            .step_index(id)
            .unwrap_or_else(|| panic!("cenário usa um passo fora do catálogo: {id}"));
        if self.opts.step_limit.is_some_and(|limit| index >= limit) {
            return Err(Stop::Limit);
        }
        self.transcript.push_str(&format!("## {id}\n"));
        self.current = Some(Current {
            index,
            signals: Vec::new(),
            lines: Vec::new(),
            full_lines: Vec::new(),
            notes: Vec::new(),
            if_failed: Vec::new(),
            started: Instant::now(),
            forced_failure: false,
            most_clients: std::sync::Arc::strong_count(&self.open_conns) - 1,
            gave_up: false,
        });
        self.trace(&format!("── passo {}: {id}", index + 1));
        Ok(())
    }

    /// Ends the current step: compares its transcript with the golden one.
    pub async fn end(&mut self) -> Flow {
        self.finish(false).await
    }

    /// Ends the current step as failed, whatever its transcript says (the
    /// scenario cannot go on). Use as `return Err(s.fail().await)`.
    pub async fn fail(&mut self) -> Stop {
        let _ = self.finish(true).await;
        Stop::Failed
    }

    /// Ends the current step as skipped: a tool it needs is not on this machine.
    /// `why` says which and how to install it. The run goes on.
    pub async fn skip(&mut self, why: String) -> Flow {
        let Some(current) = self.current.take() else {
            return Ok(());
        };
        self.trace(&format!("pulado: {why}"));
        let step = &self.lab.steps[current.index];
        let result = StepResult {
            by_hand: ByHand::default(),
            number: current.index + 1,
            step,
            status: Status::Skipped,
            expected: Vec::new(),
            received: Vec::new(),
            notes: vec![Note {
                code: "PULADO",
                text: why,
            }],
            outputs: Vec::new(),
            elapsed: current.started.elapsed(),
        };
        (self.on_step)(&result);
        self.results.push(result);
        Ok(())
    }

    pub(super) async fn finish(&mut self, forced_failure: bool) -> Flow {
        let Some(mut current) = self.current.take() else {
            return Ok(());
        };
        current.forced_failure |= forced_failure;
        let step = &self.lab.steps[current.index];
        let expected = match &self.expected {
            Some(golden) => golden.section(step.id).unwrap_or_default().to_vec(),
            // Recording: the transcript is the reference.
            None => current.lines.clone(),
        };
        let passed = !current.forced_failure && expected == current.lines;
        let mut outputs = Vec::new();
        if !passed {
            for note in std::mem::take(&mut current.if_failed) {
                if !current.notes.iter().any(|n| n.code == note.code) {
                    current.notes.push(note);
                }
            }
            // After the scenario's own diagnoses, which name the cause more precisely.
            if let Some((code, text)) =
                first_difference(&expected, &current.full_lines, &self.redactions)
            {
                current.notes.push(Note { code, text });
            }
            self.explain_programs(&mut current.notes, &mut outputs)
                .await;
        }
        let by_hand = ByHand {
            env: self.envs[slot(step.role)].clone(),
            signals: current.signals.clone(),
            port: self.port,
            clients: current.most_clients,
            datagrams: self.speaks_udp,
        };
        let result = StepResult {
            by_hand,
            number: current.index + 1,
            step,
            status: if passed {
                Status::Passed
            } else {
                Status::Failed
            },
            expected,
            received: current.lines,
            notes: current.notes,
            outputs,
            elapsed: current.started.elapsed(),
        };
        (self.on_step)(&result);
        self.results.push(result);
        if passed { Ok(()) } else { Err(Stop::Failed) }
    }

    /// Whether the current step, as recorded so far, is its golden section (always,
    /// when recording one): lets a scenario add its diagnosis before `end`.
    pub fn matches_so_far(&self) -> bool {
        let Some(current) = &self.current else {
            return true;
        };
        match &self.expected {
            Some(golden) => {
                let step = &self.lab.steps[current.index];
                !current.forced_failure
                    && golden.section(step.id).unwrap_or_default() == current.lines.as_slice()
            }
            None => true,
        }
    }

    /// Writes one line of the current step's transcript (ports and random data
    /// replaced by placeholders) and, with `--verbose`, shows it as it happens.
    pub fn say(&mut self, line: impl Into<String>) {
        let raw = line.into();
        self.trace(&raw);
        self.record(&raw);
    }

    pub(super) fn record(&mut self, raw: &str) {
        let mut line = raw.to_owned();
        for (value, placeholder) in &self.redactions {
            line = line.replace(value.as_str(), placeholder);
        }
        let short = abbreviate(&line);
        // Only what happens inside a step is compared, so only that is recorded.
        if let Some(current) = self.current.as_mut() {
            self.transcript.push_str(&short);
            self.transcript.push('\n');
            current.lines.push(short);
            current.full_lines.push(line);
        }
    }

    /// Adds a specific diagnosis to the current step, shown if it fails.
    pub fn note(&mut self, code: &'static str, text: impl Into<String>) {
        if let Some(current) = self.current.as_mut()
            // One diagnosis per cause is enough, however often it happens in a step.
            && !current.notes.iter().any(|n| n.code == code)
        {
            current.notes.push(Note {
                code,
                text: text.into(),
            });
        }
    }

    /// A diagnosis that holds only if the step fails from here on: said before
    /// an action that fails the step by itself (a wait for the program's exit).
    pub fn note_if_it_fails(&mut self, code: &'static str, text: impl Into<String>) {
        if let Some(current) = self.current.as_mut() {
            current.if_failed.push(Note {
                code,
                text: text.into(),
            });
        }
    }

    /// Whether the current step already has a diagnosis with `code`.
    pub fn noted(&self, code: &str) -> bool {
        self.current
            .as_ref()
            .is_some_and(|c| c.notes.iter().any(|n| n.code == code))
    }

    /// The current step's number (1-based), while a step runs.
    pub fn step_number(&self) -> Option<usize> {
        self.current.as_ref().map(|c| c.index + 1)
    }

    /// With `--verbose`, shows an event as it happens, timestamped from the
    /// start of the current step: a timeline of what crossed the wire.
    pub fn trace(&self, text: &str) {
        if self.opts.verbose {
            let t = self.step_started().elapsed().as_secs_f64();
            eprintln!("    +{t:.3}s  {text}");
        }
    }

    pub(super) fn step_started(&self) -> Instant {
        self.current.as_ref().map_or(self.started, |c| c.started)
    }

    /// When a wait that starts now must give up.
    pub fn deadline(&self) -> Instant {
        Instant::now() + self.opts.timeout
    }

    pub fn timeout_text(&self) -> String {
        seconds_text(self.opts.timeout)
    }

    /// A random word for this run, shown as `<aleatorio-N>` in transcripts, so a
    /// program cannot pass by printing a fixed text.
    pub fn random_word(&mut self) -> String {
        let word = self.fresh_word();
        self.random_count += 1;
        let label = format!("<aleatorio-{}>", self.random_count);
        self.redact(&word, label);
        word
    }

    /// A random text of at least `len` bytes (words, spaces, some accented
    /// letters), shown as `<texto-N>` in transcripts.
    pub fn random_text(&mut self, len: usize) -> String {
        let mut text = String::with_capacity(len + 16);
        while text.len() < len {
            if !text.is_empty() {
                text.push(if self.rng.u8(..8) == 0 { 'ç' } else { ' ' });
            }
            let word = self.fresh_word();
            text.push_str(&word);
        }
        self.random_count += 1;
        let label = format!("<texto-{}>", self.random_count);
        self.redact(&text, label);
        text
    }

    /// A random number of six digits, shown as `<numero-N>` in transcripts.
    pub fn random_number(&mut self) -> u64 {
        let number = self.rng.u64(100_000..1_000_000);
        self.random_count += 1;
        let label = format!("<numero-{}>", self.random_count);
        self.redact(&number.to_string(), label);
        number
    }

    /// Shows a value computed from random data (a running total) as `<kind-N>`
    /// in transcripts, unless it already has a name (a total equal to the one
    /// number added so far keeps that number's name).
    pub fn name_value(&mut self, value: &str, kind: &str) {
        if self.redactions.iter().any(|(v, _)| v == value) {
            return;
        }
        self.random_count += 1;
        let label = format!("<{kind}-{}>", self.random_count);
        self.redact(value, label);
    }

    /// Four random syllables and a number: easy to read, never a real word.
    fn fresh_word(&mut self) -> String {
        const SYLLABLES: &[&str] = &[
            "ba", "be", "bi", "ca", "co", "da", "de", "fa", "fi", "ga", "la", "le", "ma", "mi",
            "na", "no", "pa", "pe", "ra", "ri", "sa", "so", "ta", "tu", "va", "vi", "za",
        ];
        let mut word: String = (0..4)
            .map(|_| SYLLABLES[self.rng.usize(..SYLLABLES.len())])
            .collect();
        word.push_str(&self.rng.u32(100..1000).to_string());
        word
    }

    /// Replaces `value` by `label` in every transcript line from now on. Longer
    /// values are replaced first, so a word inside a longer text stays inside it.
    pub(super) fn redact(&mut self, value: &str, label: String) {
        self.redactions.push((value.to_owned(), label));
        self.redactions
            .sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
    }

    /// Whether a wait of the current step already ran out (see `Current::gave_up`).
    pub fn gave_up(&self) -> bool {
        self.current.as_ref().is_some_and(|c| c.gave_up)
    }

    pub(super) fn give_up_if(&mut self, timed_out: bool) {
        if let Some(current) = self.current.as_mut() {
            current.gave_up |= timed_out;
        }
    }

    // ---- end of run --------------------------------------------------------

    /// Stops every program, marks the steps that did not run, and hands back
    /// the results and the transcript.
    /// Ends the run: every step's result, the transcript, and the permission
    /// errors the programs reported.
    pub async fn finish_run(mut self) -> (Vec<StepResult>, String, Vec<String>) {
        self.stop(Role::Server).await;
        self.stop(Role::Client).await;
        for (index, step) in self.lab.steps.iter().enumerate() {
            if self.results.iter().any(|r| r.number == index + 1) {
                continue;
            }
            let status = if self.wants(step.role) {
                Status::NotRun
            } else {
                Status::Skipped
            };
            let expected = self
                .expected
                .as_ref()
                .and_then(|e| e.section(step.id))
                .unwrap_or_default()
                .to_vec();
            self.results.push(StepResult {
                by_hand: ByHand::default(),
                number: index + 1,
                step,
                status,
                expected,
                received: Vec::new(),
                notes: Vec::new(),
                outputs: Vec::new(),
                elapsed: Duration::ZERO,
            });
        }
        self.results.sort_by_key(|r| r.number);
        (self.results, self.transcript, self.denied)
    }
}

/// A duration as the transcript says it: `5 s`, `1500 ms`.
pub fn seconds_text(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

/// Keeps transcript lines readable: a line longer than this many characters
/// keeps its start and end, with the middle counted.
const LONG_LINE: usize = 240;

pub(super) fn abbreviate(line: &str) -> String {
    let count = line.chars().count();
    if count <= LONG_LINE {
        return line.to_owned();
    }
    let keep = LONG_LINE / 2 - 20;
    let head: String = line.chars().take(keep).collect();
    let tail: String = line.chars().skip(count - keep).collect();
    format!("{head}…[{} caracteres]…{tail}", count - 2 * keep)
}
