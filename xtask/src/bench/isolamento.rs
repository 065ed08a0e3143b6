//! `cargo xtask bench isolamento`: what the sandbox costs. First the set-up of
//! one program's sandbox (scratch folder, Landlock ruleset), then the start of a
//! trivial program with and without it, then a generated class graded with and
//! without it (targets: under 5 ms per program, the class no slower than 5 %).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::catalog::Lab;
use crate::grade::{self, GradeOptions};
use crate::process::{Launch, Program, Start, program_policy};
use crate::sandbox::{self, Sandbox};

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median and maximum of some durations, in ms.
fn spread(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let median = samples.get(samples.len() / 2).copied().unwrap_or_default();
    let max = samples.last().copied().unwrap_or_default();
    (millis(median), millis(max))
}

/// Starts `/bin/true` `times` times and waits for each: the sandbox's share
/// of a program's start, seen from the grader.
fn start_true(times: usize) -> Result<Vec<Duration>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let launch = Launch::Binary {
        path: "/bin/true".into(),
        cwd: "/".into(),
    };
    runtime.block_on(async {
        let mut samples = Vec::new();
        for _ in 0..times {
            let started = Instant::now();
            let mut program = Program::spawn(&launch, 5000, Start::default())
                .map_err(|e| format!("não consegui iniciar /bin/true: {e}"))?;
            program
                .wait()
                .await
                .map_err(|e| format!("/bin/true não terminou: {e}"))?;
            samples.push(started.elapsed());
        }
        Ok(samples)
    })
}

/// Grades a generated class of `students` in `labs`, sandboxed or not; returns
/// (wall, compiling, grading, labs passed).
fn grade_class(
    root: &Path,
    base: &Path,
    students: usize,
    labs: &[&'static Lab],
    isolated: bool,
) -> Result<(Duration, Duration, Duration, usize), String> {
    sandbox::set_enabled(isolated);
    let folder = base.join(if isolated { "isolada" } else { "sem" });
    let _ = std::fs::remove_dir_all(&folder);
    let entregas = folder.join("entregas");
    super::turma::make_class(root, &entregas, students)
        .map_err(|e| format!("não consegui montar a turma: {e}"))?;
    let submissions = grade::submissions(&entregas)?;
    let options = GradeOptions {
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
        out: folder.join("notas"),
        timeout: Duration::from_secs(5),
    };
    let result = grade::grade_class(root, &submissions, labs, &options, &|_, _| {})?;
    let passed = result.labs_completed();
    Ok((
        result.timing.wall,
        result.timing.compiling,
        result.timing.grading,
        passed,
    ))
}

pub fn run(
    root: &Path,
    students: usize,
    labs: &[&'static Lab],
    times: usize,
    rounds: usize,
) -> Result<(), String> {
    let support = sandbox::support();
    println!("Isolamento: {}.", support.describe());

    let launch = Launch::Binary {
        path: std::env::current_exe().map_err(|e| e.to_string())?,
        cwd: root.to_path_buf(),
    };
    let mut setups = Vec::new();
    let mut removals = Vec::new();
    for _ in 0..times.max(1) {
        let started = Instant::now();
        let prepared = Sandbox::new(program_policy(&launch, 5000))
            .map_err(|e| format!("não consegui preparar o isolamento: {e}"))?;
        setups.push(started.elapsed());
        let started = Instant::now();
        drop(prepared);
        removals.push(started.elapsed());
    }
    let (median, max) = spread(setups);
    println!(
        "  preparo por programa (rascunho + regras), {} vezes: mediana {median:.3} ms, máximo {max:.3} ms (meta: < 5 ms)",
        times.max(1)
    );
    let (median, max) = spread(removals);
    println!("  remoção do rascunho: mediana {median:.3} ms, máximo {max:.3} ms");

    let starts = times.clamp(1, 100);
    sandbox::set_enabled(false);
    let (plain, _) = spread(start_true(starts)?);
    sandbox::set_enabled(true);
    let (isolated, _) = spread(start_true(starts)?);
    println!(
        "  iniciar e esperar /bin/true, {starts} vezes (mediana): {plain:.3} ms sem, {isolated:.3} ms com isolamento"
    );

    let base = std::env::temp_dir().join(format!("tomada-bench-isolamento-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    println!(
        "Turma de {students} entregas × {} laboratórios, com e sem isolamento, {rounds} rodadas alternadas:",
        labs.len()
    );
    // Alternated (sem, com, com, sem, ...) so that a busy moment of a shared
    // machine weighs on both sides; each run compiles from scratch.
    let mut with = Vec::new();
    let mut without = Vec::new();
    for round in 0..rounds.max(1) {
        let order = if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for isolated in order {
            let folder = base.join(format!("rodada{round}"));
            let measured = grade_class(root, &folder, students, labs, isolated);
            let _ = std::fs::remove_dir_all(&folder);
            let measured = measured.inspect_err(|_| sandbox::set_enabled(true))?;
            if isolated {
                with.push(measured);
            } else {
                without.push(measured);
            }
        }
    }
    sandbox::set_enabled(true);
    let _ = std::fs::remove_dir_all(&base);
    let median = |runs: &[(Duration, Duration, Duration, usize)],
                  pick: fn(&(Duration, Duration, Duration, usize)) -> Duration| {
        let mut values: Vec<Duration> = runs.iter().map(pick).collect();
        values.sort();
        values[values.len() / 2]
    };
    let mut summary = Vec::new();
    for (name, runs) in [("com", &with), ("sem", &without)] {
        let wall = median(runs, |r| r.0);
        let compiling = median(runs, |r| r.1);
        let grading = median(runs, |r| r.2);
        println!(
            "  {name} isolamento (medianas): {:>6.2} s no relógio, {:>6.2} s compilando, {:>6.2} s avaliando; {} laboratórios concluídos",
            wall.as_secs_f64(),
            compiling.as_secs_f64(),
            grading.as_secs_f64(),
            runs[0].3
        );
        summary.push((wall, compiling, grading));
    }
    let change =
        |a: Duration, b: Duration| (a.as_secs_f64() / b.as_secs_f64().max(1e-9) - 1.0) * 100.0;
    println!(
        "  diferença: avaliando {:+.1} %, compilando {:+.1} %, no relógio {:+.1} % (meta: até +5 %)",
        change(summary[0].2, summary[1].2),
        change(summary[0].1, summary[1].1),
        change(summary[0].0, summary[1].0)
    );
    if with.iter().chain(&without).any(|r| r.3 != with[0].3) {
        return Err("o isolamento mudou os vereditos entre as rodadas".to_owned());
    }
    Ok(())
}
