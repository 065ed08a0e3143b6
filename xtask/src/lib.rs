//! Tomada's grader and workbook tasks (`cargo xtask ...`).
//!
//! # Layout
//!
//! - `bench`: `cargo xtask bench` (measurements, never timed tests).
//! - `catalog`: every lab, its steps, hints and book sections: the one place that
//!   describes the labs.
//! - `labs`: one scenario per lab, driving the conversation step by step.
//! - `session`: the shared grading mechanism: steps, transcript, comparisons, the
//!   actions a scenario performs (start, connect, send, read, wait for exit).
//! - `transcript`: escaping bytes, reading golden transcripts (insta snapshots),
//!   explaining differences.
//! - `diagram`: sequence diagrams (SVG) of a step's conversation, drawn from its
//!   transcript lines (`check --diagrama`, the book's pictures).
//! - `printed`: a client's standard output, compared line by line and byte for byte.
//! - `process`: the learner's programs as child processes (process groups, bounded
//!   output capture, always reaped).
//! - `limits`: resource limits for untrusted programs (rlimits, a pids cgroup).
//! - `faults`: the grader's replies to a client, cut into pieces at random points.
//! - `sandbox`: what untrusted programs and builds may touch (Landlock, no
//!   capabilities, a scratch folder of their own).
//! - `wire`: loopback TCP with deadlines.
//! - `rede_ruim`: a lossy, duplicating, reordering UDP relay with a seed (lab 06's
//!   end-to-end step, and `cargo xtask rede-ruim`).
//! - `listening`: the addresses a program listens on, from `/proc` (loopback only?).
//! - `compile`: building a lab crate.
//! - `files`: the directory walk the tools share.
//! - `check`: one grading run, end to end.
//! - `report`: terminal and JSON output of one lab.
//! - `grade`: grading a class of submissions (untrusted code).
//! - `reports`: class reports: CSV, Exercism JSON, JUnit XML, Markdown, where the
//!   class is stuck; one learner's `check --out` (JUnit, JSON, job summary).
//! - `run`: one graded run as the command line shows it (shared by `check` and `watch`).
//! - `learner`: `list`, `next`, `hint`, `reset`, `solution`.
//! - `watch`: re-grading on save, single-key commands.
//! - `progress`: the learner's progress file (`.tomada/progresso.json`).
//!
//! The binary (`main.rs`) is only the command line on top of this library; the
//! workbook's tests use the library directly.

pub mod bench;
pub mod catalog;
pub mod check;
pub mod compile;
pub mod diagram;
pub mod faults;
pub mod files;
pub mod grade;
pub mod lab;
pub mod labs;
pub mod learner;
#[cfg(unix)]
pub mod limits;
pub mod listening;
pub mod printed;
pub mod process;
pub mod progress;
pub mod rede_ruim;
pub mod report;
pub mod reports;
pub mod run;
pub mod sandbox;
pub mod session;
pub mod transcript;
pub mod watch;
pub mod wire;
