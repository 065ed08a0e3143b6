//! `cargo xtask grade <pasta>`: grades a class. The folder holds one submission
//! per student (a copy of the workbook, or just its `labs/` folder).
//!
//! A submission is untrusted code. Only the `src/` of each lab's starter is
//! taken from it; the manifest is the workbook's own, so a build script or a new
//! dependency in a submission is ignored. Each submission is laid out in its own
//! small workspace under `<saída>/trabalho/`, all of them building into one
//! shared target folder (dependencies compile once), and each program runs with
//! resource limits, in its own process group, on its own ports and folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::catalog::{Lab, Variant};
use crate::check::{self, Prebuilt, Report, Target};
use crate::compile;
use crate::session::Options;

/// A build that takes longer than this is stopped (a submission could try to
/// make the compiler work forever).
pub const BUILD_LIMIT: Duration = Duration::from_secs(300);
/// A lab whose steps take longer than this, all together, is stopped.
pub const LAB_LIMIT: Duration = Duration::from_secs(180);
/// Most bytes of source taken from one lab of a submission.
const SOURCE_LIMIT: u64 = 1024 * 1024;

/// One student's submission.
#[derive(Clone, Debug)]
pub struct Submission {
    pub student: String,
    /// The folder that holds `01-basico/`, `02-echo/`, ...
    pub labs_dir: PathBuf,
}

/// Finds the submissions in `folder`: each subfolder is a student.
pub fn submissions(folder: &Path) -> Result<Vec<Submission>, String> {
    let entries = std::fs::read_dir(folder).map_err(|e| {
        format!(
            "não consegui ler a pasta de entregas {}: {e}",
            folder.display()
        )
    })?;
    let mut found: Vec<Submission> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| {
            let path = e.path();
            let labs_dir = if path.join("labs").is_dir() {
                path.join("labs")
            } else {
                path.clone()
            };
            Submission {
                student: e.file_name().to_string_lossy().into_owned(),
                labs_dir,
            }
        })
        .collect();
    found.sort_by(|a, b| a.student.cmp(&b.student));
    if found.is_empty() {
        return Err(format!(
            "a pasta {} não tem nenhuma subpasta: ela deve ter uma pasta por aluno.",
            folder.display()
        ));
    }
    Ok(found)
}

/// How long the run spent compiling and grading, summed over the jobs.
#[derive(Clone, Debug, Default)]
pub struct Timing {
    pub compiling: Duration,
    pub grading: Duration,
    pub wall: Duration,
}

/// Every student's reports, lab by lab, in the order asked.
pub struct ClassResult {
    pub labs: Vec<&'static Lab>,
    pub students: BTreeMap<String, Vec<Report>>,
    pub timing: Timing,
}

impl ClassResult {
    /// How many (student, lab) pairs passed every step: what the benches count.
    pub fn labs_completed(&self) -> usize {
        self.students
            .values()
            .flatten()
            .filter(|r| r.passed_completely())
            .count()
    }
}

/// Settings of a class run.
pub struct GradeOptions {
    pub jobs: usize,
    pub out: PathBuf,
    pub timeout: Duration,
}

/// Grades every submission × lab, `jobs` at a time. `progress` is told each
/// time one lab of one student is done.
pub fn grade_class(
    root: &Path,
    submissions: &[Submission],
    labs: &[&'static Lab],
    options: &GradeOptions,
    progress: &(dyn Fn(&str, &Lab) + Sync),
) -> Result<ClassResult, String> {
    let work = options.out.join("trabalho");
    std::fs::create_dir_all(&work)
        .map_err(|e| format!("não consegui criar {}: {e}", work.display()))?;
    let shared_target = work.join("target");
    let tasks: Vec<(usize, &'static Lab)> = (0..submissions.len())
        .flat_map(|s| labs.iter().map(move |&lab| (s, lab)))
        .collect();
    let queue = Mutex::new(tasks.into_iter());
    // Builds share one target folder, where every student's `servidor` lands
    // at the same path: build and copy out happen one at a time.
    let build_lock = Mutex::new(());
    let results: Mutex<Vec<(usize, Report)>> = Mutex::new(Vec::new());
    let timing = Arc::new(Mutex::new(Timing::default()));
    let started = Instant::now();

    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                    let Some((index, lab)) = next else { break };
                    let submission = &submissions[index];
                    let report = grade_one(
                        root,
                        submission,
                        lab,
                        &work,
                        &shared_target,
                        &build_lock,
                        options.timeout,
                        &timing,
                    );
                    progress(&submission.student, lab);
                    results
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((index, report));
                }
            });
        }
    });

    let mut students: BTreeMap<String, Vec<Report>> = BTreeMap::new();
    let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results
        .sort_by_key(|(index, report)| (*index, labs.iter().position(|l| l.dir == report.lab.dir)));
    for (index, report) in results {
        students
            .entry(submissions[index].student.clone())
            .or_default()
            .push(report);
    }
    let mut timing = timing.lock().unwrap_or_else(|p| p.into_inner()).clone();
    timing.wall = started.elapsed();
    Ok(ClassResult {
        labs: labs.to_vec(),
        students,
        timing,
    })
}

#[allow(clippy::too_many_arguments)]
fn grade_one(
    root: &Path,
    submission: &Submission,
    lab: &'static Lab,
    work: &Path,
    shared_target: &Path,
    build_lock: &Mutex<()>,
    timeout: Duration,
    timing: &Mutex<Timing>,
) -> Report {
    let opts = Options {
        timeout,
        ..Options::default()
    };
    let label = format!("{} · {}", submission.student, lab.dir);
    let space = work.join(safe_name(&submission.student));
    let built = {
        let _one_at_a_time = build_lock.lock().unwrap_or_else(|p| p.into_inner());
        // Compiling time is counted from here: waiting for the lock is not compiling.
        let started = Instant::now();
        let built = layout(root, submission, lab, &space).and_then(|manifest| {
            compile::build_submission(
                &manifest,
                &lab.package(Variant::Starter),
                shared_target,
                BUILD_LIMIT,
            )
            .map_err(|f| f.output)
            .and_then(|bin_dir| keep_binaries(&bin_dir, &space.join("bin").join(lab.dir)))
        });
        // Still under the lock: the next build must not find this one's code.
        compile::scrub_package(shared_target, &lab.package(Variant::Starter));
        timing.lock().unwrap_or_else(|p| p.into_inner()).compiling += started.elapsed();
        built
    };
    let bin_dir = match built {
        Ok(bin_dir) => bin_dir,
        Err(reason) => return check::not_graded(lab, label, opts, Some(reason)),
    };

    let started = Instant::now();
    let mut target = Target::of(Variant::Starter);
    target.prebuilt = Some(Prebuilt {
        bin_dir,
        crate_dir: space.join("labs").join(lab.dir).join("inicio"),
        label: label.clone(),
    });
    let report = run_bounded(root, lab, &target, opts.clone(), &label);
    timing.lock().unwrap_or_else(|p| p.into_inner()).grading += started.elapsed();
    report
}

/// Grades with a deadline for the whole lab; dropping the run on timeout
/// kills its programs (their `Drop`).
fn run_bounded(
    root: &Path,
    lab: &'static Lab,
    target: &Target,
    opts: Options,
    label: &str,
) -> Report {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return check::not_graded(lab, label.to_owned(), opts, Some(format!("runtime: {e}")));
        }
    };
    let graded = runtime.block_on(async {
        let mut nothing_before = || {};
        let run = check::grade(
            root,
            lab,
            target,
            opts.clone(),
            false,
            &mut nothing_before,
            Box::new(|_| {}),
        );
        tokio::time::timeout(LAB_LIMIT, run).await
    });
    match graded {
        Ok(Ok(report)) => report,
        Ok(Err(error)) => check::not_graded(lab, label.to_owned(), opts, Some(error.0)),
        Err(_) => check::not_graded(
            lab,
            label.to_owned(),
            opts,
            Some(format!(
                "o laboratório passou de {} s no total e foi interrompido",
                LAB_LIMIT.as_secs()
            )),
        ),
    }
}

/// A folder name that cannot escape the work folder.
fn safe_name(student: &str) -> String {
    let name: String = student
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "_".to_owned()
    } else {
        name
    }
}

/// Lays out the student's workspace for `lab`: the workbook's manifests and
/// lock file, the student's `src/`. Returns the workspace manifest.
fn layout(
    root: &Path,
    submission: &Submission,
    lab: &Lab,
    space: &Path,
) -> Result<PathBuf, String> {
    let from = submission.labs_dir.join(lab.dir).join("inicio").join("src");
    if !from.is_dir() {
        return Err(format!(
            "a entrega não tem {}/inicio/src: o laboratório não foi entregue",
            lab.dir
        ));
    }
    let crate_dir = space.join("labs").join(lab.dir).join("inicio");
    let _ = std::fs::remove_dir_all(&crate_dir);
    std::fs::create_dir_all(&crate_dir).map_err(|e| e.to_string())?;
    let mut budget = SOURCE_LIMIT;
    copy_sources(&from, &crate_dir.join("src"), &mut budget)?;
    let ours = root
        .join(lab.crate_dir(Variant::Starter))
        .join("Cargo.toml");
    std::fs::copy(&ours, crate_dir.join("Cargo.toml"))
        .map_err(|e| format!("{}: {e}", ours.display()))?;

    let manifest = space.join("Cargo.toml");
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).map_err(|e| e.to_string())?;
    let package_table = workspace
        .split_once("[workspace.package]")
        .map(|(_, rest)| rest.split("\n[").next().unwrap_or(""))
        .unwrap_or("");
    std::fs::write(
        &manifest,
        format!(
            "# Gerado por `cargo xtask grade`: só o src/ vem da entrega.\n[workspace]\n\
             members = [\"labs/*/inicio\"]\nresolver = \"3\"\n\n[workspace.package]{package_table}\n"
        ),
    )
    .map_err(|e| e.to_string())?;
    let _ = std::fs::copy(root.join("Cargo.lock"), space.join("Cargo.lock"));
    Ok(manifest)
}

/// Copies regular files only (no symlinks out of the submission), within a budget.
fn copy_sources(from: &Path, to: &Path, budget: &mut u64) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    let entries = std::fs::read_dir(from).map_err(|e| e.to_string())?;
    for entry in entries.flatten() {
        let kind = entry.file_type().map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_sources(&entry.path(), &target, budget)?;
        } else if kind.is_file() {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
            if size > *budget {
                return Err(format!(
                    "o código da entrega passa de {} KiB: não foi avaliado",
                    SOURCE_LIMIT / 1024
                ));
            }
            *budget -= size;
            std::fs::copy(entry.path(), &target).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Copies the freshly built binaries out of the shared target folder.
fn keep_binaries(bin_dir: &Path, keep: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(keep).map_err(|e| e.to_string())?;
    for name in ["servidor", "cliente"] {
        let built = compile::binary(bin_dir, name);
        std::fs::copy(&built, compile::binary(keep, name)).map_err(|e| {
            format!(
                "binário {} ausente depois da compilação: {e}",
                built.display()
            )
        })?;
    }
    Ok(keep.to_path_buf())
}
