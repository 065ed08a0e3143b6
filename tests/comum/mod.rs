//! What the workbook's tests share: running the grader as a library on a lab.

#![allow(dead_code)] // each test file uses a different part of this module

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use xtask::catalog::{self, Lab, Variant};
use xtask::check::{self, Report, Target};
use xtask::session::{Options, Status};

pub fn root() -> PathBuf {
    check::workbook_root().unwrap_or_else(|why| panic!("{why}"))
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

/// The xtask binary (built once per test file, as `cargo xtask` would), with
/// colour off and no standard input.
pub fn xtask() -> Command {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    let bin = BIN.get_or_init(|| {
        // `.ci/run` runs tests/isolamento.rs as another user, with a grader
        // built beforehand (that user has no cargo registry to build one).
        if let Some(prebuilt) = std::env::var_os("TOMADA_XTASK") {
            return PathBuf::from(prebuilt);
        }
        let root = root();
        let status = Command::new(std::env::var_os("CARGO").unwrap_or("cargo".into()))
            .current_dir(&root)
            .args(["build", "--quiet", "--package", "xtask"])
            .status()
            .expect("cargo build");
        assert!(status.success());
        root.join("target/debug/xtask")
    });
    let mut command = Command::new(bin);
    command
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    command
}

/// A private copy of the workbook (the files git tracks, as they are now) in a
/// temporary folder, with its own git history: for tests that edit a lab.
pub fn workbook_copy(name: &str) -> PathBuf {
    let root = root();
    let copy = std::env::temp_dir().join(format!("tomada-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    let listed = Command::new("git")
        .current_dir(&root)
        .args(["ls-files", "-z"])
        .output()
        .expect("git ls-files");
    for file in listed.stdout.split(|&b| b == 0).filter(|f| !f.is_empty()) {
        let relative = Path::new(std::str::from_utf8(file).expect("caminho UTF-8"));
        let from = root.join(relative);
        if !from.exists() {
            continue; // deleted in the working tree
        }
        let to = copy.join(relative);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "base",
        ],
    ] {
        let ok = Command::new("git")
            .current_dir(&copy)
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?} falhou");
    }
    copy
}

/// A marker for the processes of one test: `--server-cmd "TOMADA_MARCA=<it> ..."`
/// puts it in the environment of the program and of everything it starts. The
/// programs run sandboxed and cannot write a pid file where a test could read it.
pub fn marker(name: &str) -> String {
    format!("{name}-{}", std::process::id())
}

/// Live processes (not zombies) whose environment holds `TOMADA_MARCA=<marker>`.
pub fn marked_processes(marker: &str) -> Vec<(u32, String)> {
    let wanted = format!("TOMADA_MARCA={marker}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if !environ.split(|&b| b == 0).any(|v| v == wanted.as_bytes()) {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().next());
        if state.is_some() && state != Some("Z") {
            found.push((pid, stat));
        }
    }
    found
}

/// No process carrying the fixture's marker is alive (a zombie awaiting its
/// reaper does not count). SIGKILL is delivered asynchronously, so a killed
/// process may need a moment to disappear: poll for it, within a bound.
pub fn assert_nothing_left(marker: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    loop {
        let alive = marked_processes(marker);
        if alive.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "processos do programa em teste continuam vivos: {alive:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Grades `command` (run from `cwd`) as the `role` program of `lab`, marked so
/// that its processes can be found afterwards; checks that none is left.
/// `env` puts the marker in the environment and lets the shell `exec` the
/// program, so that a signal to the process group reaches it, not a shell.
pub fn grade_marked(
    lab: &'static Lab,
    role: catalog::Role,
    cwd: &Path,
    command: &str,
    timeout_ms: u64,
) -> Report {
    // `command` may carry arguments: no spaces in the word the shell sees.
    let marker = marker(&format!(
        "{}-{}",
        lab.number,
        command.replace([' ', '/'], "_")
    ));
    let command = format!("env TOMADA_MARCA={marker} {command}");
    let (server, client) = match role {
        catalog::Role::Server => (Some(command.as_str()), None),
        catalog::Role::Client => (None, Some(command.as_str())),
    };
    let mut target = fixture(lab, server, client);
    target.cmd_cwd = cwd.to_path_buf();
    let report = grade(lab, &target, options(timeout_ms)).0;
    assert_nothing_left(&marker);
    report
}

/// The result of the step `id` (every step has one, run or not).
pub fn step<'a>(report: &'a Report, id: &str) -> &'a xtask::session::StepResult {
    report
        .results
        .iter()
        .find(|r| r.step.id == id)
        .unwrap_or_else(|| panic!("o relatório não tem o passo {id}"))
}

/// The first failure is at `step`, its diagnoses include `code`, and every
/// step of the same role before it passed (the defect is exactly there).
pub fn assert_fails_at(report: &Report, step_id: &str, code: &str) {
    let (failed, codes) =
        first_failure(report).unwrap_or_else(|| panic!("não falhou: {}", describe(report)));
    assert_eq!(failed, step_id, "{}", describe(report));
    assert!(
        codes.contains(&code),
        "{code} ausente em {codes:?}: {}",
        describe(report)
    );
    let role = step(report, step_id).step.role;
    for earlier in report
        .results
        .iter()
        .take_while(|r| r.step.id != step_id)
        .filter(|r| r.step.role == role)
    {
        assert_eq!(
            earlier.status,
            Status::Passed,
            "{} deveria passar: {}",
            earlier.step.id,
            describe(report)
        );
    }
}

/// Copies a folder and everything in it (test scenes: a class of submissions).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
