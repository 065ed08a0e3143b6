//! A grading session: the shared mechanism every lab's scenario drives.
//!
//! A scenario is ordinary async code that starts programs, connects, sends and
//! reads. Around each step it calls [`Session::begin`] and [`Session::end`]; in
//! between, every action writes one line to the step's transcript. `end` compares
//! those lines with the step's section of the golden transcript and decides ✓ or ✗.
//! A scenario never states what the learner's program should say: that lives only
//! in the golden file.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use crate::lab::{Lab, Role, Step};
use crate::printed;
use crate::process::{Launch, Program, Signal, describe_status};
use crate::transcript::{Expected, escape, first_difference};
use crate::wire::{self, Dial, Ending};

/// What a scenario returns: `Err` stops the run (a failure or the `--step` limit).
pub type Flow = Result<(), Stop>;

/// A lab's scenario: drives every step of the lab, in order.
pub type Scenario = for<'a> fn(&'a mut Session) -> Pin<Box<dyn Future<Output = Flow> + 'a>>;

/// Why a scenario stopped early.
#[derive(Debug)]
pub enum Stop {
    /// A step failed; its result is already recorded.
    Failed,
    /// `--step` was reached.
    Limit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    /// Not graded in this run (`--server-cmd` without a client, for example).
    Skipped,
    /// Not reached: an earlier step failed, or `--step` stopped before it.
    NotRun,
}

/// A specific diagnosis of a failure, with a stable code the book explains.
#[derive(Clone, Debug)]
pub struct Note {
    pub code: &'static str,
    pub text: String,
}

/// The outcome of one step, as reports show it.
#[derive(Clone, Debug)]
pub struct StepResult {
    pub number: usize,
    pub step: &'static Step,
    pub status: Status,
    pub expected: Vec<String>,
    pub received: Vec<String>,
    pub notes: Vec<Note>,
    /// Output of the program under test worth showing: (label, text).
    pub outputs: Vec<(String, String)>,
    /// How to set the scene by hand: the extra environment the program ran
    /// with (`TEMPO_LIMITE_MS=1000`) and the signals the grader sent it.
    pub by_hand: ByHand,
    pub elapsed: Duration,
}

/// What the grader did to the program during a step, beyond talking to it.
#[derive(Clone, Debug, Default)]
pub struct ByHand {
    pub env: Vec<(String, String)>,
    pub signals: Vec<Signal>,
    /// The run's port (drawn at random unless `--port`): reproducing on it,
    /// rather than on 5000, shows a port hard-coded in the program.
    pub port: Option<u16>,
    /// The most connections the grader held open at once in the step, counting
    /// those kept from earlier steps: one terminal with `nc` each.
    pub clients: usize,
}

/// Settings of one run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Deadline for each wait (connect, read, exit).
    pub timeout: Duration,
    /// Run steps up to this number (1-based).
    pub step_limit: Option<usize>,
    pub verbose: bool,
    pub seed: u64,
    /// Use this port instead of a free one (`--port`).
    pub fixed_port: Option<u16>,
    /// Record the transcript without comparing (used to write the golden file).
    pub record: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(5),
            step_limit: None,
            verbose: false,
            seed: fastrand::u64(..),
            fixed_port: None,
            record: false,
        }
    }
}

/// A connection the grader holds, as one of the actors of the dialogue.
pub struct Conn {
    pub actor: String,
    pub stream: TcpStream,
    /// How the last read-until-close ended.
    pub ending: Option<Ending>,
    /// Bytes read past the last line handed out (lines are framed here).
    pending: Vec<u8>,
    /// A share of the session's count of open connections (see `ByHand::clients`).
    _counted: Option<std::sync::Arc<()>>,
    /// Whether what the grader sends here is cut into pieces (see `faults`):
    /// set on the connections where the grader plays the server.
    faults: bool,
    /// Whose program is at the other end: a read watches it, in case it exits.
    peer: Role,
}

impl Conn {
    /// Wraps a connection the grader made itself (bulk steps dial directly).
    pub fn new(actor: &str, stream: TcpStream) -> Conn {
        let _ = stream.set_nodelay(true);
        Conn {
            actor: actor.to_owned(),
            stream,
            ending: None,
            pending: Vec::new(),
            _counted: None,
            faults: false,
            peer: Role::Server,
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // When the learner's server closed first, a normal close from us would
        // leave its side in TIME_WAIT for a minute, and a server without
        // SO_REUSEADDR (like the tutorial's) could not bind the port again.
        // Closing with a reset (zero linger) after its FIN frees the port at once.
        if matches!(self.ending, Some(Ending::Closed)) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

struct Current {
    index: usize,
    signals: Vec<Signal>,
    lines: Vec<String>,
    /// The same lines before long ones are abbreviated: a difference is
    /// located in the real bytes, not in the abbreviation.
    full_lines: Vec<String>,
    notes: Vec<Note>,
    started: Instant,
    forced_failure: bool,
    /// The most connections open at once so far in this step.
    most_clients: usize,
    /// A wait of this step already ran out: the step has failed, and the
    /// conversation is out of step, so later reads take only what is there
    /// instead of waiting the whole deadline again.
    gave_up: bool,
}

pub struct Session {
    pub lab: &'static Lab,
    pub opts: Options,
    expected: Option<Expected>,
    launches: [Option<Launch>; 2],
    programs: [Option<Program>; 2],
    /// The extra environment each program was last started with.
    envs: [Vec<(String, String)>; 2],
    port: Option<u16>,
    /// Cloned into each connection `connect` makes: its strong count, less one,
    /// is how many of them are open now.
    open_conns: std::sync::Arc<()>,
    /// Whether the server's listening address is still to be checked: once per
    /// start, at its first connection (see `listening`).
    listen_unchecked: bool,
    pub rng: fastrand::Rng,
    /// Where the grader's replies to a client are cut: from the seed too, but
    /// apart from `rng`, so the random words do not depend on the cuts.
    fault_rng: fastrand::Rng,
    redactions: Vec<(String, String)>,
    random_count: usize,
    results: Vec<StepResult>,
    current: Option<Current>,
    transcript: String,
    started: Instant,
    on_step: Box<dyn FnMut(&StepResult)>,
    /// What the programs said on stderr about permission errors: what the
    /// sandbox denied them, in their own words (see `sandbox::denials_in`).
    denied: Vec<String>,
}

fn slot(role: Role) -> usize {
    match role {
        Role::Server => 0,
        Role::Client => 1,
    }
}

/// Mixed into the run's seed for the fault plan (any constant would do).
const FAULT_SEED: u64 = 0x5eed_fa17_c0de_0001;

/// Cap on what one read-until-close keeps: far more than any lab's reply.
const READ_CAP: usize = 1024 * 1024;

impl Session {
    pub fn new(
        lab: &'static Lab,
        opts: Options,
        expected: Option<Expected>,
        server: Option<Launch>,
        client: Option<Launch>,
        on_step: Box<dyn FnMut(&StepResult)>,
    ) -> Session {
        Session {
            lab,
            rng: fastrand::Rng::with_seed(opts.seed),
            fault_rng: fastrand::Rng::with_seed(opts.seed ^ FAULT_SEED),
            opts,
            expected,
            launches: [server, client],
            programs: [None, None],
            envs: [Vec::new(), Vec::new()],
            port: None,
            listen_unchecked: false,
            open_conns: std::sync::Arc::new(()),
            redactions: Vec::new(),
            random_count: 0,
            results: Vec::new(),
            denied: Vec::new(),
            current: None,
            transcript: String::new(),
            started: Instant::now(),
            on_step,
        }
    }

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

    async fn finish(&mut self, forced_failure: bool) -> Flow {
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

    /// On a failure, says what happened to the programs under test and shows
    /// their error output: the learner's own panic message is often the answer.
    async fn explain_programs(
        &mut self,
        notes: &mut Vec<Note>,
        outputs: &mut Vec<(String, String)>,
    ) {
        for role in [Role::Server, Role::Client] {
            let Some(program) = self.programs[slot(role)].as_mut() else {
                continue;
            };
            let name = role.label();
            // A program that is crashing may need a moment to finish writing its
            // error and exit; on this failure path a short bounded wait is fine.
            let _ = tokio::time::timeout(Duration::from_millis(500), program.wait()).await;
            let status = program.try_status();
            if status.is_some() {
                program.flush_output(Duration::from_millis(500)).await;
            }
            // A panic (exit code 101, or a thread's "panicked at" while the program
            // still runs) says more than "it exited": the learner's own line.
            if let Some(line) = panic_in(program) {
                if !notes.iter().any(|n| n.code == "E-PANICO") {
                    notes.push(Note {
                        code: "E-PANICO",
                        text: panic_text(name, status.is_some(), &line),
                    });
                }
            } else if let Some(status) = status {
                let should_run = role == Role::Server && self.lab.server_runs_forever;
                if !status.success() || should_run {
                    let tail = if should_run {
                        ", mas deveria continuar atendendo"
                    } else {
                        ""
                    };
                    notes.push(Note {
                        code: "E-PROGRAMA-TERMINOU",
                        text: format!("O {name} terminou com {}{tail}.", describe_status(status)),
                    });
                }
            }
            let stderr = program.stderr.text();
            if looks_like_addr_in_use(&stderr) {
                notes.push(Note {
                    code: "E-PORTA-EM-USO",
                    text: format!(
                        "O {name} não conseguiu usar a porta: \"Address already in use\". Outro \
                         processo está nessa porta (uma execução anterior que ficou aberta?). \
                         Feche-o, ou, para reiniciar logo após fechar, use SO_REUSEADDR."
                    ),
                });
            }
            if stderr.contains("failed to spawn thread") {
                notes.push(Note {
                    code: "E-THREADS-DEMAIS",
                    // 128 is `limits::PROCESSES` (a Unix-only module).
                    text: format!(
                        "O {name} não conseguiu criar mais uma thread: o corretor limita cada \
                         programa a 128 processos e threads. Uma thread por cliente não chega \
                         a mil clientes; uma tarefa do tokio por cliente, sim."
                    ),
                });
            }
            if !stderr.trim().is_empty() {
                outputs.push((
                    format!("saída de erro do {name} (stderr)"),
                    tail(&stderr, 20),
                ));
            }
            // What it printed often says what it was doing (the starter prints a reminder).
            let stdout = program.stdout.text();
            if !stdout.trim().is_empty() {
                outputs.push((format!("saída do {name} (stdout)"), tail(&stdout, 20)));
            }
        }
    }

    /// The panic line of the program for `role`, once it has exited (its
    /// stderr read to the end, within a bound: it has just exited).
    async fn panic_of(&mut self, role: Role) -> Option<String> {
        let program = self.programs[slot(role)].as_mut()?;
        program.flush_output(Duration::from_millis(500)).await;
        panic_in(program)
    }

    /// Writes one line of the current step's transcript (ports and random data
    /// replaced by placeholders) and, with `--verbose`, shows it as it happens.
    pub fn say(&mut self, line: impl Into<String>) {
        let raw = line.into();
        self.trace(&raw);
        self.record(&raw);
    }

    fn record(&mut self, raw: &str) {
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

    /// Whether the program for `role` was started and has not exited.
    pub fn is_running(&mut self, role: Role) -> bool {
        self.program(role).is_some_and(|p| p.try_status().is_none())
    }

    /// With `--verbose`, shows an event as it happens, timestamped from the
    /// start of the current step: a timeline of what crossed the wire.
    fn trace(&self, text: &str) {
        if self.opts.verbose {
            let t = self.step_started().elapsed().as_secs_f64();
            eprintln!("    +{t:.3}s  {text}");
        }
    }

    fn step_started(&self) -> Instant {
        self.current.as_ref().map_or(self.started, |c| c.started)
    }

    /// The port of this run, once chosen.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// When a wait that starts now must give up.
    pub fn deadline(&self) -> Instant {
        Instant::now() + self.opts.timeout
    }

    fn timeout_text(&self) -> String {
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
    fn redact(&mut self, value: &str, label: String) {
        self.redactions.push((value.to_owned(), label));
        self.redactions
            .sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
    }

    // ---- ports and programs ------------------------------------------------

    /// The port of this run: `--port`, or one the kernel says is free.
    fn choose_port(&mut self) -> Result<u16, String> {
        if let Some(port) = self.port {
            return Ok(port);
        }
        let port = match self.opts.fixed_port {
            Some(port) => port,
            None => wire::free_port()
                .map_err(|e| format!("não encontrei uma porta livre em 127.0.0.1 ({e})"))?,
        };
        self.port = Some(port);
        self.redactions
            .push((port.to_string(), "<porta>".to_owned()));
        Ok(port)
    }

    /// Starts the learner's program for `role` with `PORTA` set.
    pub async fn start(&mut self, role: Role) -> Flow {
        self.start_with_env(role, &[]).await
    }

    /// Starts the program for `role` with `PORTA` and the variables in `env`
    /// (lab 04's `TEMPO_LIMITE_MS`), which the transcript shows.
    pub async fn start_with_env(&mut self, role: Role, env: &[(&str, String)]) -> Flow {
        let name = role.label();
        let port = match self.choose_port() {
            Ok(port) => port,
            Err(why) => {
                self.note("E-SEM-PORTA", why);
                return Err(self.fail().await);
            }
        };
        if role == Role::Server && self.opts.fixed_port.is_some() && wire::port_in_use(port) {
            self.say(format!("[corretor] a porta {port} já está ocupada"));
            self.note(
                "E-PORTA-EM-USO",
                format!(
                    "Antes de iniciar o seu servidor, outro processo já ocupava a porta {port} \
                     (uma execução anterior que ficou aberta?). Feche-o (`ss -ltnp | grep {port}` \
                     mostra quem é) ou rode sem --port."
                ),
            );
            return Err(self.fail().await);
        }
        let launch = self.launches[slot(role)]
            .clone()
            .expect("start() só é chamado para um papel avaliado");
        self.envs[slot(role)] = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        let extra: String = env.iter().map(|(k, v)| format!(" {k}={v}")).collect();
        self.say(format!(
            "[corretor] inicia o {name} com PORTA={port}{extra}"
        ));
        match Program::spawn(&launch, port, env, role == Role::Client) {
            Ok(program) => {
                self.programs[slot(role)] = Some(program);
                self.listen_unchecked = role == Role::Server;
                Ok(())
            }
            Err(error) => {
                self.say(format!("[corretor] não conseguiu iniciar o {name}"));
                self.note(
                    "E-NAO-INICIOU",
                    format!("Não consegui executar `{}`: {error}.", launch.describe()),
                );
                Err(self.fail().await)
            }
        }
    }

    /// Stops the program for `role` (its whole process group) and reaps it.
    pub async fn stop(&mut self, role: Role) {
        if let Some(mut program) = self.programs[slot(role)].take() {
            program.stop().await;
            // Killed, its pipes close at once; bounded in case a grandchild holds one.
            program.flush_output(Duration::from_millis(200)).await;
            let name = role.label();
            for line in crate::sandbox::denials_in(&program.stderr.text()) {
                self.denied.push(format!("[{name}] {line}"));
            }
        }
    }

    pub fn program(&mut self, role: Role) -> Option<&mut Program> {
        self.programs[slot(role)].as_mut()
    }

    /// Waits for the program to exit and records its status.
    pub async fn wait_exit(&mut self, role: Role) -> Flow {
        let limit = self.opts.timeout;
        self.wait_exit_within(role, limit).await
    }

    /// Like [`Session::wait_exit`], with a limit of its own (lab 04's "exits
    /// within 2 s of SIGTERM").
    pub async fn wait_exit_within(&mut self, role: Role, limit: Duration) -> Flow {
        let name = role.label();
        // A wait of this step already ran out: the step has failed, and the
        // program's exit can only be looked at, not waited for a second time.
        let already_failed = self.gave_up();
        let limit = if already_failed {
            Duration::ZERO
        } else {
            limit
        };
        let waited = {
            let Some(program) = self.programs[slot(role)].as_mut() else {
                return Ok(());
            };
            match tokio::time::timeout(limit, program.wait()).await {
                Ok(Ok(status)) => {
                    program.flush_output(Duration::from_secs(1)).await;
                    Some(status)
                }
                Ok(Err(_)) | Err(_) => None,
            }
        };
        match waited {
            Some(status) => {
                self.say(format!("[{name}] terminou com {}", describe_status(status)));
                Ok(())
            }
            None if already_failed => {
                self.say(format!(
                    "[{name}] continua rodando (o passo já tinha falhado por tempo: não esperei de novo)"
                ));
                self.note(
                    "E-NAO-TERMINOU",
                    format!(
                        "O {name} ainda rodava depois de o corretor esperar o prazo inteiro. Ele \
                         deveria sair sozinho ao fim da conversa."
                    ),
                );
                Err(self.fail().await)
            }
            None => {
                let after = seconds_text(limit);
                self.say(format!("[{name}] continua rodando depois de {after}"));
                self.note(
                    "E-NAO-TERMINOU",
                    format!("O {name} não terminou em {after}. Ele deveria sair sozinho ao fim da conversa."),
                );
                Err(self.fail().await)
            }
        }
    }

    // ---- the grader as a client (server steps) ------------------------------

    /// Connects to the learner's server as `actor`, retrying while it starts.
    pub async fn connect(&mut self, actor: &str) -> Result<Conn, Stop> {
        self.connect_with_buffer(actor, None).await
    }

    /// Connects without a transcript line, for load steps that record a summary.
    /// `Err` carries the last error, already worded for the transcript.
    pub async fn connect_quietly(&self, actor: &str) -> Result<Conn, String> {
        let port = self.port.expect("connect_quietly() depois de start()");
        match wire::dial(port, self.deadline()).await {
            Dial::Connected(stream) => Ok(Conn::new(actor, stream)),
            Dial::GaveUp(error) => Err(wire::describe_error(&error)),
        }
    }

    /// Connects as a client that will never read: with a tiny receive buffer, the
    /// server's writes to it stall after kilobytes.
    pub async fn connect_non_reader(&mut self, actor: &str) -> Result<Conn, Stop> {
        self.connect_with_buffer(actor, Some(4096)).await
    }

    async fn connect_with_buffer(
        &mut self,
        actor: &str,
        recv_buffer: Option<u32>,
    ) -> Result<Conn, Stop> {
        let port = self.port.expect("connect() depois de start()");
        let deadline = self.deadline();
        // The server's listeners, looked at right before each attempt: once the
        // connection is made, a lab 01 server may close its listener and exit
        // before the grader could look again.
        let group = self.programs[slot(Role::Server)]
            .as_ref()
            .and_then(Program::group)
            .filter(|_| self.listen_unchecked);
        // `None`: not looked (not the first connection) or no `/proc` here.
        let mut seen: Option<crate::listening::Look> = None;
        let mut observe = || match group {
            Some(pgid) => {
                if !seen.as_ref().is_some_and(|look| look.port_listened) {
                    seen = crate::listening::look(pgid, port);
                }
                // Connect only once a listener shows in the tables (or when they
                // cannot be read), so the server's is seen before it can go.
                seen.as_ref().is_none_or(|look| look.port_listened)
            }
            None => true,
        };
        let outcome = {
            let dialing = wire::dial_observing(port, deadline, recv_buffer, &mut observe);
            tokio::pin!(dialing);
            // Watch the server while dialing: if it dies, say so at once.
            match self.programs[slot(Role::Server)].as_mut() {
                Some(server) => tokio::select! {
                    // A fast server may accept, answer and exit before we look: a
                    // finished dial wins over the exit.
                    biased;
                    dial = &mut dialing => Ok(dial),
                    status = server.wait() => Err(status.ok()),
                },
                None => Ok(dialing.await),
            }
        };
        let exited = match outcome {
            Ok(Dial::Connected(stream)) => {
                self.say(format!("[{actor}] conecta em 127.0.0.1:{port}"));
                let mut conn = Conn::new(actor, stream);
                conn._counted = Some(std::sync::Arc::clone(&self.open_conns));
                let open = std::sync::Arc::strong_count(&self.open_conns) - 1;
                if let Some(current) = self.current.as_mut() {
                    current.most_clients = current.most_clients.max(open);
                }
                if group.is_some() {
                    self.listen_unchecked = false;
                    self.judge_listeners(seen).await?;
                }
                return Ok(conn);
            }
            // The server died while the last attempt (or a look at its
            // listeners, which a program thrashing memory slows down) was on its
            // way: its exit is the cause, not the port.
            Ok(Dial::GaveUp(_))
                if self.programs[slot(Role::Server)]
                    .as_mut()
                    .is_some_and(|p| p.try_status().is_some()) =>
            {
                self.programs[slot(Role::Server)]
                    .as_mut()
                    .and_then(Program::try_status)
            }
            Ok(Dial::GaveUp(error)) => {
                self.say(format!(
                    "[{actor}] não conseguiu conectar em 127.0.0.1:{port}: {}",
                    wire::describe_error(&error)
                ));
                self.note(
                    "E-SEM-CONEXAO",
                    format!(
                        "Ninguém aceitou conexões em 127.0.0.1:{port} durante {}. O servidor \
                         chegou a criar o TcpListener nessa porta? Ele lê a porta de PORTA?",
                        self.timeout_text()
                    ),
                );
                return Err(self.fail().await);
            }
            Err(status) => status,
        };
        let how = exited.map_or("terminou".to_owned(), |s| {
            format!("terminou com {}", describe_status(s))
        });
        self.say(format!("[servidor] {how} antes de aceitar a conexão"));
        // A panic is not "it stopped waiting": `explain_programs` names it.
        if self.panic_of(Role::Server).await.is_none() {
            self.note(
                "E-SAIU-CEDO",
                "O servidor terminou antes de aceitar a conexão do corretor: enquanto houver \
                 clientes a atender, ele precisa continuar esperando em accept().",
            );
        }
        Err(self.fail().await)
    }

    /// Fails the step when the server listens beyond loopback: the grader only
    /// ever talks over 127.0.0.1, so only the kernel's tables show it.
    async fn judge_listeners(&mut self, seen: Option<crate::listening::Look>) -> Result<(), Stop> {
        let Some(crate::listening::Look {
            group: addresses, ..
        }) = seen
        else {
            self.trace("sem /proc neste sistema: o endereço de escuta não foi verificado");
            return Ok(());
        };
        let exposed: Vec<_> = addresses
            .into_iter()
            .filter(|a| !crate::listening::is_loopback(a.ip()))
            .collect();
        let Some(first) = exposed.first() else {
            return Ok(());
        };
        let shown = crate::listening::describe(*first);
        self.say(format!(
            "[corretor] o servidor escuta em {shown}, não só em 127.0.0.1"
        ));
        self.note(
            "E-ESCUTA-EXPOSTA",
            format!(
                "O servidor escuta em {shown}. Assim qualquer pessoa na mesma rede (o Wi-Fi \
                 do café, a rede da escola) pode conectar nele e mandar o que quiser a um \
                 programa que não foi feito para estranhos. Escute só nesta máquina: \
                 `TcpListener::bind((\"127.0.0.1\", porta))`, como faz `endereco()`. (O \
                 corretor conversa só por 127.0.0.1; o endereço vem das tabelas do sistema, \
                 /proc/net/tcp.)"
            ),
        );
        Err(self.fail().await)
    }

    /// Reads everything until the peer closes (or the deadline) and records it as
    /// one `←` line; the way it ended is kept in `conn.ending`.
    pub async fn receive_until_close(&mut self, conn: &mut Conn) {
        let deadline = self.deadline();
        let verbose = self.opts.verbose;
        let started = self.step_started();
        let actor = conn.actor.clone();
        // What was already read past the last line belongs to this read too.
        let earlier = std::mem::take(&mut conn.pending);
        let (data, ending) =
            wire::read_until_close(&mut conn.stream, READ_CAP, deadline, |chunk| {
                if verbose {
                    let t = started.elapsed().as_secs_f64();
                    eprintln!(
                        "    +{t:.3}s  [{actor}] ← {} ({} bytes)",
                        escape(chunk),
                        chunk.len()
                    );
                }
            })
            .await;
        let data = [earlier, data].concat();
        self.give_up_if(matches!(ending, Ending::StillOpen));
        self.record(&format!("[{actor}] ← {}", escape(&data)));
        if matches!(ending, Ending::TooMuch) {
            self.note(
                "E-BYTES-DEMAIS",
                format!("Chegaram mais de {READ_CAP} bytes; parei de ler."),
            );
        }
        conn.ending = Some(ending);
    }

    /// Reads until the peer closes and records what came and how it ended.
    pub async fn expect_close(&mut self, conn: &mut Conn) {
        self.receive_until_close(conn).await;
        self.say_how_it_ended(conn);
    }

    /// Records how the last read ended: closed by the peer, still open, broken.
    pub fn say_how_it_ended(&mut self, conn: &Conn) {
        let actor = &conn.actor;
        let line = match &conn.ending {
            Some(Ending::Closed) => format!("[{actor}] o outro lado fechou a conexão (EOF)"),
            Some(Ending::StillOpen) => {
                let after = self.timeout_text();
                self.note(
                    "E-NAO-FECHOU",
                    format!(
                        "Os dados chegaram, mas a conexão continuou aberta por {after}. Quem lê \
                         até o fim espera o EOF, que só vem quando o outro lado fecha o socket \
                         (em Rust, quando ele sai de escopo ou com drop)."
                    ),
                );
                format!("[{actor}] a conexão continua aberta depois de {after}")
            }
            Some(Ending::Broken(error)) => {
                format!(
                    "[{actor}] a conexão falhou: {}",
                    wire::describe_error(error)
                )
            }
            Some(Ending::TooMuch) => format!("[{actor}] parou de ler: bytes demais"),
            None => format!("[{actor}] nada foi lido"),
        };
        self.say(line);
    }

    /// Sends bytes one per write (with Nagle off), so the server sees them
    /// trickle in: a line, or even one UTF-8 character, spread over many reads.
    /// Written back to back, the bytes would pile up in the server's receive
    /// buffer and one read would take them all; so after each byte the grader
    /// waits (bounded, see `faults`) until the server has read it.
    pub async fn send_bytewise(&mut self, conn: &mut Conn, bytes: &[u8]) -> Flow {
        let actor = conn.actor.clone();
        for byte in bytes {
            let written =
                tokio::time::timeout(self.opts.timeout, conn.stream.write_all(&[*byte])).await;
            if !matches!(written, Ok(Ok(()))) {
                self.say(format!(
                    "[{actor}] não conseguiu enviar: a conexão caiu no meio"
                ));
                return Err(self.fail().await);
            }
            crate::faults::wait_until_read(&conn.stream, crate::faults::PIECE_PACING).await;
        }
        self.say(format!(
            "[{actor}] → {} (um byte por escrita)",
            escape(bytes)
        ));
        Ok(())
    }

    /// Reads one line (up to and including `\n`), however many reads it takes,
    /// and records it. Returns what arrived (for lab-specific diagnoses).
    pub async fn receive_line(&mut self, conn: &mut Conn) -> Vec<u8> {
        self.receive_line_shown_as(conn, |line| line.to_vec()).await
    }

    /// Like [`Session::receive_line`], recording `shown(line)` instead of the line
    /// itself: for parts the protocol leaves free (the reason after `ERRO: `).
    pub async fn receive_line_shown_as(
        &mut self,
        conn: &mut Conn,
        shown: impl Fn(&[u8]) -> Vec<u8>,
    ) -> Vec<u8> {
        let deadline = self.deadline();
        let actor = conn.actor.clone();
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            if let Some(end) = conn.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = conn.pending.drain(..=end).collect();
                self.record(&format!("[{actor}] ← {}", escape(&shown(&line))));
                return line;
            }
            let outcome = if conn.pending.len() > READ_CAP {
                None
            } else {
                match self.read_watching_peer(conn, &mut chunk, deadline).await {
                    Ok(read) => Some(read),
                    Err(exited) => {
                        let partial = std::mem::take(&mut conn.pending);
                        if !partial.is_empty() {
                            self.record(&format!("[{actor}] ← {}", escape(&partial)));
                        }
                        self.say(format!("[{actor}] {exited}"));
                        return partial;
                    }
                }
            };
            let partial = std::mem::take(&mut conn.pending);
            let ended = match outcome {
                Some(Ok(Ok(n))) if n > 0 => {
                    conn.pending = partial;
                    conn.pending.extend_from_slice(&chunk[..n]);
                    self.trace(&format!("[{actor}] ← {} ({n} bytes)", escape(&chunk[..n])));
                    continue;
                }
                Some(Ok(Ok(_))) => {
                    conn.ending = Some(Ending::Closed);
                    self.note(
                        "E-CONEXAO-FECHADA",
                        "A conexão foi fechada do outro lado antes de chegar uma linha completa \
                         (terminada em \\n): a conversa acabou cedo demais.",
                    );
                    "o outro lado fechou a conexão (EOF) antes do fim da linha".to_owned()
                }
                Some(Ok(Err(error))) => {
                    format!("a conexão falhou: {}", wire::describe_error(&error))
                }
                Some(Err(_)) => {
                    let after = self.timeout_text();
                    self.note(
                        "E-SEM-RESPOSTA",
                        format!("Esperei {after} por uma linha terminada em \\n, e ela não veio."),
                    );
                    format!("esperava uma linha terminada em \\n; nada mais chegou em {after}")
                }
                None => {
                    self.note(
                        "E-BYTES-DEMAIS",
                        format!("Chegaram mais de {READ_CAP} bytes sem um \\n."),
                    );
                    "parou de ler: bytes demais sem \\n".to_owned()
                }
            };
            if !partial.is_empty() {
                self.record(&format!("[{actor}] ← {}", escape(&partial)));
            }
            self.say(format!("[{actor}] {ended}"));
            return partial;
        }
    }

    /// After a reply: the bytes the peer has already sent beyond it, taken
    /// without waiting (a correct program sends nothing unasked, so no event
    /// is due). Any are recorded as a `←` line and named, so that an extra
    /// `\n` fails the step of the reply it follows, instead of passing for the
    /// next reply. What is still on its way is for the next read to see.
    pub fn expect_nothing_more(&mut self, conn: &mut Conn) {
        let mut extra = std::mem::take(&mut conn.pending);
        let mut chunk = [0u8; 4096];
        // An EOF or an error stays for the next read, which will report it.
        while extra.len() < READ_CAP
            && let Ok(n) = conn.stream.try_read(&mut chunk)
            && n > 0
        {
            extra.extend_from_slice(&chunk[..n]);
        }
        if extra.is_empty() {
            return;
        }
        let actor = conn.actor.clone();
        self.record(&format!(
            "[{actor}] ← {} (depois da resposta)",
            escape(&extra)
        ));
        self.note(
            "E-BYTES-A-MAIS",
            format!(
                "A resposta chegou inteira, mas vieram {} byte(s) a mais depois dela: {}. \
                 Para cada linha recebida vai exatamente uma linha de resposta.",
                extra.len(),
                escape(&extra[..extra.len().min(40)])
            ),
        );
    }

    /// Whether a wait of the current step already ran out (see `Current::gave_up`).
    fn gave_up(&self) -> bool {
        self.current.as_ref().is_some_and(|c| c.gave_up)
    }

    fn give_up_if(&mut self, timed_out: bool) {
        if let Some(current) = self.current.as_mut() {
            current.gave_up |= timed_out;
        }
    }

    /// One read on `conn`, watching the program at the other end: if it exits
    /// while the connection stays open (a child it forked still holds it), no
    /// line can come any more, and waiting for the deadline would only hide
    /// that. `Err` says so, once what it wrote before exiting has been read.
    async fn read_watching_peer(
        &mut self,
        conn: &mut Conn,
        buf: &mut [u8],
        deadline: Instant,
    ) -> Result<Result<std::io::Result<usize>, tokio::time::error::Elapsed>, String> {
        if self.gave_up() {
            return match conn.stream.try_read(buf) {
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => Err(
                    "nada mais tinha chegado (o passo já tinha falhado por tempo: não esperei de novo)"
                        .to_owned(),
                ),
                other => Ok(Ok(other)),
            };
        }
        let read = tokio::time::timeout_at(deadline, conn.stream.read(buf));
        let outcome = match self.programs[slot(conn.peer)].as_mut() {
            None => Ok(read.await),
            Some(program) => tokio::select! {
                // Bytes or an EOF already there come first: they are the answer.
                biased;
                read = read => Ok(read),
                status = program.wait() => Err(status.ok()),
            },
        };
        let status = match outcome {
            Ok(read) => {
                self.give_up_if(read.is_err());
                return Ok(read);
            }
            Err(status) => status,
        };
        // Everything it wrote before exiting is already in our socket.
        match conn.stream.try_read(buf) {
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            other => return Ok(Ok(other)),
        }
        let how = status.map_or("terminou".to_owned(), |s| {
            format!("terminou com {}", describe_status(s))
        });
        Err(format!(
            "o {} {how} sem enviar uma linha completa (a conexão continua aberta: outro \
             processo, um filho dele, ainda a segura)",
            conn.peer.label()
        ))
    }

    /// Reads `count` lines without recording them (bulk steps record a summary).
    /// Each line must arrive within the deadline of the one before it.
    pub async fn read_lines_quietly(
        &self,
        conn: &mut Conn,
        count: usize,
    ) -> Result<Vec<Vec<u8>>, String> {
        let mut lines = Vec::with_capacity(count);
        let mut chunk = vec![0u8; 64 * 1024];
        while lines.len() < count {
            if let Some(end) = conn.pending.iter().position(|&b| b == b'\n') {
                lines.push(conn.pending.drain(..=end).collect());
                continue;
            }
            if conn.pending.len() > READ_CAP {
                return Err(format!("mais de {READ_CAP} bytes sem \\n"));
            }
            let deadline = self.deadline();
            match tokio::time::timeout_at(deadline, conn.stream.read(&mut chunk)).await {
                Ok(Ok(0)) => {
                    return Err(format!("a conexão fechou depois de {} linhas", lines.len()));
                }
                Ok(Ok(n)) => conn.pending.extend_from_slice(&chunk[..n]),
                Ok(Err(error)) => return Err(wire::describe_error(&error)),
                Err(_) => {
                    return Err(format!(
                        "nada chegou em {} depois de {} linhas",
                        self.timeout_text(),
                        lines.len()
                    ));
                }
            }
        }
        Ok(lines)
    }

    /// Stops the learner's server and starts it again on the same port: a clean
    /// room for a step that must not see earlier clients.
    pub async fn restart_server(&mut self) -> Flow {
        self.restart_server_with_env(&[]).await
    }

    /// Like [`Session::restart_server`], with extra variables in the environment.
    pub async fn restart_server_with_env(&mut self, env: &[(&str, String)]) -> Flow {
        self.stop(Role::Server).await;
        // The old listener must be gone, or the next connection could land in it.
        if let Some(port) = self.port {
            wire::wait_until_closed(port, self.deadline()).await;
        }
        self.start_with_env(Role::Server, env).await
    }

    /// Sends `signal` to the program for `role` (its process group).
    pub fn signal(&mut self, role: Role, signal: Signal) {
        let name = role.label();
        let sent = self
            .program(role)
            .is_some_and(|program| program.signal(signal));
        let how = match signal {
            Signal::Term => "SIGTERM (como `kill`)",
            Signal::Interrupt => "SIGINT (como Ctrl-C no terminal)",
        };
        if let Some(current) = self.current.as_mut() {
            current.signals.push(signal);
        }
        if sent {
            self.say(format!("[corretor] envia {how} ao {name}"));
        } else {
            self.say(format!(
                "[corretor] não conseguiu enviar {}: o {name} já tinha terminado",
                signal.name()
            ));
        }
    }

    /// Closes a connection with a normal FIN even if the peer closed first:
    /// its side then stays in TIME_WAIT, as it would with any real client.
    /// Lab 04 needs that to show why a server sets SO_REUSEADDR.
    pub async fn close_politely(&mut self, mut conn: Conn) {
        conn.ending = None;
        self.close(conn).await;
    }

    /// After the program for `role` exited, checks that it explained the
    /// failure on stderr in a line starting with `Erro: `, and did not panic.
    pub async fn expect_error_line(&mut self, role: Role) {
        let name = role.label();
        let Some(program) = self.programs[slot(role)].as_mut() else {
            return;
        };
        program.flush_output(Duration::from_secs(1)).await;
        let stderr = program.stderr.text();
        if let Some(panic) = stderr.lines().find(|l| l.contains("panicked at")) {
            self.say(format!(
                "[{name}] entrou em pânico em vez de explicar o erro"
            ));
            self.note(
                "E-PANICO",
                format!(
                    "O {name} entrou em pânico ({}). Um erro de rede esperado (conexão \
                     recusada, tempo esgotado, conexão perdida) merece uma mensagem clara e \
                     um código de saída, não um `unwrap`.",
                    panic.trim()
                ),
            );
        } else if stderr.lines().any(|l| l.starts_with("Erro: ")) {
            self.say(format!(
                "[{name}] explicou o erro na saída de erro (uma linha \"Erro: …\")"
            ));
        } else {
            self.say(format!(
                "[{name}] não escreveu uma linha \"Erro: …\" na saída de erro"
            ));
        }
    }

    /// Drops a connection abruptly: the peer gets a reset (RST), not an EOF.
    pub async fn reset(&mut self, conn: Conn) {
        let _ = conn.stream.set_zero_linger();
        let actor = conn.actor.clone();
        drop(conn);
        self.say(format!(
            "[{actor}] derruba a conexão (RST, sem se despedir)"
        ));
    }

    // ---- the grader as a server (client steps) -------------------------------

    /// Listens on the run's port, to play the server for the learner's client.
    pub async fn listen(&mut self) -> Result<TcpListener, Stop> {
        let port = match self.choose_port() {
            Ok(port) => port,
            Err(why) => {
                self.note("E-SEM-PORTA", why);
                return Err(self.fail().await);
            }
        };
        match wire::listen(port).await {
            Ok(listener) => {
                self.say(format!("[corretor] escuta em 127.0.0.1:{port}"));
                Ok(listener)
            }
            Err(error) => {
                self.say(format!(
                    "[corretor] não conseguiu escutar em 127.0.0.1:{port}: {}",
                    wire::describe_error(&error)
                ));
                self.note(
                    "E-PORTA-EM-USO",
                    format!(
                        "O corretor precisa da porta {port} para fazer o papel do servidor, mas \
                         ela está ocupada. Feche o programa que a usa ou rode sem --port."
                    ),
                );
                Err(self.fail().await)
            }
        }
    }

    /// Waits for the learner's client to connect, watching it in case it exits.
    /// The grader's end of the connection is the actor `corretor`.
    pub async fn accept(&mut self, listener: &TcpListener) -> Result<Conn, Stop> {
        let deadline = self.deadline();
        let outcome = {
            let client = self.programs[slot(Role::Client)].as_mut();
            match client {
                None => tokio::time::timeout_at(deadline, listener.accept())
                    .await
                    .map(Ok),
                Some(client) => {
                    tokio::select! {
                        // A client that connects and exits at once still connected.
                        biased;
                        accepted = tokio::time::timeout_at(deadline, listener.accept()) => accepted.map(Ok),
                        status = client.wait() => Ok(Err(status.ok())),
                    }
                }
            }
        };
        match outcome {
            Ok(Ok(Ok((stream, _)))) => {
                self.say("[cliente] conectou ao corretor");
                let mut conn = Conn::new("corretor", stream);
                conn.faults = true;
                conn.peer = Role::Client;
                Ok(conn)
            }
            Ok(Ok(Err(error))) => {
                self.say(format!(
                    "[corretor] accept falhou: {}",
                    wire::describe_error(&error)
                ));
                Err(self.fail().await)
            }
            Ok(Err(status)) => {
                let how = status.map_or("terminou".to_owned(), |s| {
                    format!("terminou com {}", describe_status(s))
                });
                self.say(format!("[cliente] {how} sem conectar"));
                // A panic is named by `explain_programs`, with its own line.
                if self.panic_of(Role::Client).await.is_none() {
                    self.note(
                        "E-CLIENTE-SAIU-CEDO",
                        "O cliente terminou sem conectar ao servidor do corretor. Ele chama \
                         TcpStream::connect no endereço 127.0.0.1 e na porta de PORTA?",
                    );
                }
                Err(self.fail().await)
            }
            Err(_) => {
                let after = self.timeout_text();
                self.say(format!("[cliente] não conectou em {after}"));
                self.note(
                    "E-CLIENTE-NAO-CONECTOU",
                    format!(
                        "O cliente está rodando, mas não conectou em {after}. Ele usa a porta \
                         de PORTA? Está esperando algo do teclado antes de conectar?"
                    ),
                );
                Err(self.fail().await)
            }
        }
    }

    /// Sends bytes on a connection the grader holds, recording `→`. Where the
    /// grader plays the server, they go in pieces cut at random (see `faults`).
    pub async fn send(&mut self, conn: &mut Conn, bytes: &[u8]) -> Flow {
        self.send_together(conn, &[bytes]).await
    }

    /// Sends messages that the protocol puts one right after the other. Where the
    /// grader plays the server they form one stream cut at random points, so two
    /// may arrive in one read; elsewhere, one write.
    pub async fn send_together(&mut self, conn: &mut Conn, messages: &[&[u8]]) -> Flow {
        let actor = conn.actor.clone();
        let bytes = messages.concat();
        let cuts = if conn.faults {
            let boundaries: Vec<usize> = messages
                .iter()
                .scan(0, |end, m| {
                    *end += m.len();
                    Some(*end)
                })
                .collect();
            crate::faults::cuts(&mut self.fault_rng, bytes.len(), &boundaries)
        } else {
            Vec::new()
        };
        let pieces = crate::faults::pieces(bytes.len(), &cuts);
        let shown: Vec<String> = messages.iter().map(|m| escape(m)).collect();
        let mut shown = shown.join(" + ");
        match (cuts.is_empty(), messages.len()) {
            (true, _) => {}
            (false, 1) => shown.push_str(" (em pedaços sorteados)"),
            (false, _) => shown.push_str(" (juntas, em pedaços sorteados)"),
        }
        if !cuts.is_empty() {
            let each: Vec<String> = pieces.iter().map(|r| escape(&bytes[r.clone()])).collect();
            self.trace(&format!("[{actor}] pedaços: {}", each.join(" + ")));
        }
        for (index, range) in pieces.iter().enumerate() {
            let piece = &bytes[range.clone()];
            let written =
                tokio::time::timeout(self.opts.timeout, conn.stream.write_all(piece)).await;
            let problem = match written {
                Ok(Ok(())) => None,
                Ok(Err(error)) => Some(wire::describe_error(&error)),
                Err(_) => Some("o outro lado não lê".to_owned()),
            };
            if let Some(problem) = problem {
                if index == 0 {
                    self.say(format!("[{actor}] não conseguiu enviar: {problem}"));
                    return Err(self.fail().await);
                }
                // The client left after a first piece: what it printed tells why.
                self.say(format!(
                    "[{actor}] → {shown}: a conexão caiu depois de {index} de {} pedaços ({problem})",
                    pieces.len()
                ));
                return Ok(());
            }
            if index + 1 < pieces.len() {
                crate::faults::wait_until_read(&conn.stream, crate::faults::PIECE_PACING).await;
            }
        }
        self.say(format!("[{actor}] → {shown}"));
        Ok(())
    }

    /// Closes a connection the grader holds (the peer sees EOF).
    pub async fn close(&mut self, mut conn: Conn) {
        let _ = conn.stream.shutdown().await;
        let actor = conn.actor.clone();
        drop(conn);
        self.say(format!("[{actor}] fecha a conexão"));
    }

    /// Types a line into the client's standard input, as a person would.
    pub async fn type_line(&mut self, line: &str) -> Flow {
        let typed = format!("{line}\n");
        let limit = self.opts.timeout;
        let written = match self.program(Role::Client).and_then(|p| p.stdin()) {
            Some(stdin) => tokio::time::timeout(limit, async {
                stdin.write_all(typed.as_bytes()).await?;
                stdin.flush().await
            })
            .await
            .is_ok_and(|r| r.is_ok()),
            None => false,
        };
        if written {
            self.say(format!(
                "[corretor] digita no cliente: {}",
                escape(typed.as_bytes())
            ));
            Ok(())
        } else {
            self.say("[corretor] não conseguiu digitar: o cliente não lê mais a entrada");
            self.note(
                "E-CLIENTE-NAO-LE",
                "O cliente fechou a entrada padrão ou terminou antes da hora.",
            );
            Err(self.fail().await)
        }
    }

    /// Closes the client's standard input (Ctrl-D at a terminal).
    pub fn close_input(&mut self) {
        if let Some(program) = self.program(Role::Client) {
            program.close_stdin();
        }
        self.say("[corretor] fecha a entrada do cliente (Ctrl-D)");
    }

    /// Waits until the client prints a line ending exactly in `text` (see
    /// `printed` for the rule) and records what it printed. Decides as soon as
    /// the output does: a wrong line meant to be this one, or the client's exit,
    /// ends the wait at once.
    pub async fn expect_printed(&mut self, text: &str) {
        // Once a wait of the step has run out, only what was printed counts.
        let deadline = if self.gave_up() {
            Instant::now()
        } else {
            self.deadline()
        };
        let wanted = text.as_bytes();
        let Some(program) = self.programs[slot(Role::Client)].as_mut() else {
            self.say(format!("[cliente] não imprimiu {}", escape(wanted)));
            return;
        };
        let from = program.printed.0;
        let verdict = program
            .stdout
            .wait_until(deadline, |out, closed| {
                printed::judge(out, from, wanted, closed)
            })
            .await;
        let timed_out = verdict.is_none();
        // At the deadline, the closest line is still worth showing.
        let verdict = verdict.unwrap_or_else(|| {
            match program
                .stdout
                .with_bytes(|out| printed::closest(out, from, wanted))
            {
                Some((line, defect)) => printed::Verdict::Wrong {
                    line,
                    defect,
                    next: from,
                },
                None => printed::Verdict::Missing,
            }
        });
        let shown = escape(wanted);
        match verdict {
            printed::Verdict::Matched { next } => {
                program.printed.0 = next;
                self.say(format!("[cliente] imprimiu {shown}"));
            }
            printed::Verdict::Wrong { line, defect, next } => {
                program.printed.0 = next;
                self.say(format!("[cliente] imprimiu {}", escape(&line)));
                let (code, why) = explain_printed(defect, &line, wanted);
                self.note(code, why);
            }
            printed::Verdict::Missing => {
                self.say(format!("[cliente] não imprimiu {shown}"));
            }
        }
        self.give_up_if(timed_out);
    }

    /// The client leaves: the grader sees its connection close, the program
    /// exits, and it printed `farewell`.
    pub async fn expect_client_to_leave(&mut self, conn: &mut Conn, farewell: &str) -> Flow {
        self.expect_close(conn).await;
        self.wait_exit(Role::Client).await?;
        self.expect_printed(farewell).await;
        Ok(())
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

fn abbreviate(line: &str) -> String {
    let count = line.chars().count();
    if count <= LONG_LINE {
        return line.to_owned();
    }
    let keep = LONG_LINE / 2 - 20;
    let head: String = line.chars().take(keep).collect();
    let tail: String = line.chars().skip(count - keep).collect();
    format!("{head}…[{} caracteres]…{tail}", count - 2 * keep)
}

/// Whether the program panicked, by its stderr or its exit code (101 is
/// Rust's for a panic): the panic's line, or an empty one if only the code told.
fn panic_in(program: &mut Program) -> Option<String> {
    let exited_101 = program.try_status().is_some_and(|s| s.code() == Some(101));
    panic_line(&program.stderr.text()).or_else(|| exited_101.then(String::new))
}

/// The line of a Rust panic in a program's stderr: `thread 'main' panicked at
/// src/main.rs:8:5:` and, since Rust 1.73, the message on the line below it.
fn panic_line(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines();
    let found = lines.by_ref().find(|l| l.contains("panicked at"))?.trim();
    match lines.next() {
        Some(message) if found.ends_with(':') => Some(format!("{found} {}", message.trim())),
        _ => Some(found.to_owned()),
    }
}

/// What E-PANICO says; `line` is empty when only the exit code 101 told.
fn panic_text(name: &str, exited: bool, line: &str) -> String {
    let what = if exited {
        format!("O {name} entrou em pânico e terminou")
    } else {
        format!("Uma thread do {name} entrou em pânico")
    };
    let said = if line.is_empty() {
        " (código de saída 101, o de um pânico em Rust; a saída de erro abaixo diz onde)".to_owned()
    } else {
        format!(": \"{line}\"")
    };
    format!(
        "{what}{said}. Um `unwrap()`, `expect()` ou índice fora do lugar derrubou o \
         programa ali; trate o `Err` (com `match` ou `?`) e diga o que houve numa \
         mensagem."
    )
}

fn looks_like_addr_in_use(stderr: &str) -> bool {
    let lower = stderr.to_lowercase();
    lower.contains("address already in use")
        || lower.contains("addrinuse")
        || lower.contains("os error 98")
        || lower.contains("endereço já em uso")
}

/// The last `lines` lines of a text.
/// Control bytes are shown escaped (`\0`, `\r`, `\x1b`), as in the transcript:
/// printed raw, a terminal would hide them, and they may be the very defect.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<String> = text
        .trim_end_matches('\n')
        .split('\n')
        .map(visible)
        .collect();
    let start = all.len().saturating_sub(lines);
    let mut out = String::new();
    if start > 0 {
        out.push_str(&format!("[… {start} linhas antes]\n"));
    }
    out.push_str(&all[start..].join("\n"));
    out
}

/// One line of a program's output with its invisible characters escaped, and
/// abbreviated if long.
fn visible(line: &str) -> String {
    if !line.chars().any(|c| c.is_control() && c != '\t') {
        return abbreviate(line);
    }
    // Written as the transcript writes bytes, without the surrounding quotes.
    let quoted = escape(line.as_bytes());
    abbreviate(&quoted[1..quoted.len() - 1])
}

/// The diagnosis of a printed line that was meant to be `wanted` and is not.
fn explain_printed(defect: printed::Defect, line: &[u8], wanted: &[u8]) -> (&'static str, String) {
    let esperado = escape(wanted);
    match defect {
        printed::Defect::Nul => {
            let nuls = line.iter().filter(|&&b| b == 0).count();
            (
                "E-SAIDA-COM-NUL",
                format!(
                    "O cliente imprimiu {esperado} com {nuls} byte(s) nulo(s) (\\0) na mesma \
                     linha, que o terminal não mostra: ele imprimiu o buffer inteiro (`&buf`) \
                     em vez de só os bytes que o `read` devolveu (`&buf[..n]`)."
                ),
            )
        }
        printed::Defect::CarriageReturn => (
            "E-SAIDA-COM-CR",
            format!(
                "A linha impressa tem um \\r (retorno de carro), invisível no terminal: \
                 esperado só {esperado}. O cliente repassa um \\r que recebeu, ou termina a \
                 linha com \\r\\n; tire-o (`trim_end`) e imprima com `println!`."
            ),
        ),
        printed::Defect::Control => (
            "E-SAIDA-COM-CONTROLE",
            format!(
                "A linha impressa tem bytes de controle (como o \\x1b das cores do terminal) \
                 em volta de {esperado}. Imprima só o texto."
            ),
        ),
        printed::Defect::CutShort => (
            "E-SAIDA-PARTIDA",
            format!(
                "O cliente imprimiu só o começo da mensagem: esperado {esperado}. O corretor \
                 envia as mensagens em pedaços (como a rede pode entregar), e o cliente tratou \
                 um único `read` como a mensagem inteira. Leia até o \\n (`BufRead::read_line`) \
                 ou até o servidor fechar (`read_to_end`)."
            ),
        ),
        printed::Defect::TrailingText => (
            "E-SAIDA-DIFERENTE",
            format!(
                "A linha deveria terminar em {esperado}, mas o cliente imprimiu mais texto \
                 depois dele na mesma linha."
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::{panic_line, panic_text};

    #[test]
    fn finds_a_panic_and_its_message() {
        // Rust 1.73+: the message on the line after the location.
        let stderr = "Servidor escutando\nthread 'main' panicked at src/bin/servidor.rs:8:42:\n\
                      called `Option::unwrap()` on a `None` value\nnote: run with ...\n";
        assert_eq!(
            panic_line(stderr).as_deref(),
            Some(
                "thread 'main' panicked at src/bin/servidor.rs:8:42: called \
                 `Option::unwrap()` on a `None` value"
            )
        );
        // Older Rust: the message before the location, on one line.
        let old = "thread 'main' panicked at 'oops', src/main.rs:2:5\nnote: ...\n";
        assert_eq!(
            panic_line(old).as_deref(),
            Some("thread 'main' panicked at 'oops', src/main.rs:2:5")
        );
        assert_eq!(panic_line("Erro: conexão recusada\n"), None);
    }

    #[test]
    fn says_whether_the_program_or_a_thread_panicked() {
        assert!(panic_text("servidor", true, "x").starts_with("O servidor entrou em pânico"));
        assert!(panic_text("servidor", false, "x").starts_with("Uma thread do servidor"));
        assert!(panic_text("cliente", true, "").contains("código de saída 101"));
    }
}
