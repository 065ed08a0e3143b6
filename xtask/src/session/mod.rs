//! A grading session: the shared mechanism every lab's scenario drives.
//!
//! A scenario is ordinary async code that starts programs, connects, sends and
//! reads. Around each step it calls [`Session::begin`] and [`Session::end`]; in
//! between, every action writes one line to the step's transcript. `end` compares
//! those lines with the step's section of the golden transcript and decides ✓ or ✗.
//! A scenario never states what the learner's program should say: that lives only
//! in the golden file.
//!
//! One file per kind of action: `step` (lifecycle and transcript), `programs`
//! (the learner's processes), `tcp` (the grader's connections, as client and as
//! server), `udp` (the grader's datagram sockets and the bad network between the
//! learner's programs), `keyboard` (the learner's client's keyboard and screen),
//! `arquivos` (files: a lent folder, contents checked as they stream, memory
//! sampled), `http` (HTTP/1.1 responses read off a connection), `tools` (clients
//! no one here wrote, like curl and Chromium), `folders` (folders the grader
//! prepares for a program to read).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::time::Instant;

use crate::lab::{Lab, Role, Step};
use crate::process::{Launch, Program, Signal};
use crate::transcript::Expected;

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
    /// The lab speaks UDP (lab 06): by hand, `nc -u`.
    pub datagrams: bool,
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

struct Current {
    index: usize,
    signals: Vec<Signal>,
    lines: Vec<String>,
    /// The same lines before long ones are abbreviated: a difference is
    /// located in the real bytes, not in the abbreviation.
    full_lines: Vec<String>,
    notes: Vec<Note>,
    /// Diagnoses that hold only if the step fails (see `note_if_it_fails`).
    if_failed: Vec<Note>,
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
    /// The folder lent to the programs (lab 07's `PASTA`), once lent.
    lent: Option<arquivos::Lent>,
    /// Folders the grader prepared (see `folders`), removed with the session.
    folders: Vec<crate::sandbox::Scratch>,
    /// Whether the grader opened a UDP socket in this run (see `ByHand::datagrams`).
    speaks_udp: bool,
    /// For a lab about datagrams (see `Session::use_udp`): the loopback ports
    /// its programs may send to, the grader's own, added as it opens them.
    udp_ports: Option<crate::sandbox::UdpPorts>,
}

fn slot(role: Role) -> usize {
    match role {
        Role::Server => 0,
        Role::Client => 1,
    }
}

/// Mixed into the run's seed for the fault plan (any constant would do).
const FAULT_SEED: u64 = 0x5eed_fa17_c0de_0001;

mod arquivos;
mod folders;
mod http;
mod keyboard;
mod programs;
mod step;
mod tcp;
mod tools;
mod udp;

pub use arquivos::{Content, MemoryWatch, group_rss_kib, json_line};
pub use http::{Body, Response, read_response};
pub use keyboard::NextPrinted;
pub use step::seconds_text;
pub use tcp::Conn;
pub use tools::{Tool, ToolRun};
pub use udp::{Arrival, Datagrams, MAX_DATAGRAM};

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
            lent: None,
            folders: Vec::new(),
            speaks_udp: false,
            udp_ports: None,
            current: None,
            transcript: String::new(),
            started: Instant::now(),
            on_step,
        }
    }
}
