//! What the workbook's tests share: running the grader as a library on a lab.

#![allow(dead_code)] // each test file uses a different part of this module

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use xtask::catalog::{self, Lab, Variant};
use xtask::check::{self, Report, Target};
use xtask::session::{Options, Status};

pub fn root() -> PathBuf {
    check::workbook_root()
}

pub fn lab(query: &str) -> &'static Lab {
    catalog::find(query).unwrap_or_else(|| panic!("laboratório {query} não está no catálogo"))
}

/// Options for tests: a fixed seed, a short deadline for the broken programs.
pub fn options(timeout_ms: u64) -> Options {
    Options {
        timeout: Duration::from_millis(timeout_ms),
        seed: 42,
        ..Options::default()
    }
}

/// Grades `target` and returns the report plus the step ids in the order they ended.
pub fn grade(lab: &'static Lab, target: &Target, opts: Options) -> (Report, Vec<String>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_in_callback = Arc::clone(&seen);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let report = runtime
        .block_on(check::grade(
            &root(),
            lab,
            target,
            opts,
            false,
            &mut || {},
            Box::new(move |r| seen_in_callback.lock().unwrap().push(r.step.id.to_owned())),
        ))
        .unwrap_or_else(|e| panic!("o corretor falhou: {e}"));
    let seen = seen.lock().unwrap().clone();
    (report, seen)
}

pub fn solution() -> Target {
    Target::of(Variant::Solution)
}

/// A command target (`--server-cmd` / `--client-cmd`) run from `tests/fixtures/<lab>/`.
pub fn fixture(lab: &Lab, server: Option<&str>, client: Option<&str>) -> Target {
    let mut target = Target::of(Variant::Starter);
    target.server_cmd = server.map(str::to_owned);
    target.client_cmd = client.map(str::to_owned);
    target.cmd_cwd = root().join("tests").join("fixtures").join(lab.dir);
    target
}

/// The first failed step: (id, diagnosis codes).
pub fn first_failure(report: &Report) -> Option<(&'static str, Vec<&'static str>)> {
    report
        .results
        .iter()
        .find(|r| r.status == Status::Failed)
        .map(|r| (r.step.id, r.notes.iter().map(|n| n.code).collect()))
}

/// Panics with the whole report when a step did not pass, so a red test explains itself.
pub fn describe(report: &Report) -> String {
    let mut out = format!(
        "build: {:?}\n",
        report
            .build_failure
            .as_deref()
            .map(|s| &s[..s.len().min(2000)])
    );
    for r in &report.results {
        out.push_str(&format!(
            "{} {} {:?}\n  esperado: {:?}\n  recebido: {:?}\n  notas: {:?}\n  saídas: {:?}\n",
            r.number, r.step.id, r.status, r.expected, r.received, r.notes, r.outputs
        ));
    }
    out
}
