//! `cargo xtask check`: builds what is graded, runs the lab's scenario and
//! returns a report. Printing is the caller's business (see `report.rs`).

use std::path::{Path, PathBuf};

use crate::catalog::{Lab, Role, Variant};
use crate::compile;
use crate::process::Launch;
use crate::session::{Options, Session, Status, StepResult};
use crate::transcript::Expected;

/// What is graded: the learner's crate, the solution, or any command.
#[derive(Clone, Debug)]
pub struct Target {
    pub variant: Variant,
    /// `--server-cmd`: any program, run by the shell, as the server.
    pub server_cmd: Option<String>,
    /// `--client-cmd`: likewise for the client.
    pub client_cmd: Option<String>,
    /// Where `--server-cmd`/`--client-cmd` run (the caller's folder).
    pub cmd_cwd: PathBuf,
    /// Binaries built elsewhere (a student's submission, by `grade`).
    pub prebuilt: Option<Prebuilt>,
}

/// A lab crate already built: its binaries, and the folder they run in.
#[derive(Clone, Debug)]
pub struct Prebuilt {
    pub bin_dir: PathBuf,
    pub crate_dir: PathBuf,
    /// How reports name it (a student's name and lab).
    pub label: String,
}

impl Target {
    pub fn of(variant: Variant) -> Target {
        Target {
            variant,
            server_cmd: None,
            client_cmd: None,
            cmd_cwd: std::env::current_dir().unwrap_or_default(),
            prebuilt: None,
        }
    }

    fn uses_commands(&self) -> bool {
        self.server_cmd.is_some() || self.client_cmd.is_some()
    }

    /// How the report names what it graded: the absolute folder, so a learner
    /// with two copies of the workbook sees which one is graded.
    pub fn describe(&self, root: &Path, lab: &Lab) -> String {
        let folder = self.cmd_cwd.display();
        match (&self.server_cmd, &self.client_cmd) {
            (Some(s), Some(c)) => format!("servidor `{s}` e cliente `{c}`, em {folder}"),
            (Some(s), None) => format!("servidor `{s}`, em {folder}"),
            (None, Some(c)) => format!("cliente `{c}`, em {folder}"),
            (None, None) => match &self.prebuilt {
                Some(prebuilt) => prebuilt.label.clone(),
                None => root.join(lab.crate_dir(self.variant)).display().to_string(),
            },
        }
    }
}

/// The result of grading one lab.
#[derive(Debug)]
pub struct Report {
    pub lab: &'static Lab,
    pub graded: String,
    pub seed: u64,
    /// The compiler's errors when the crate did not build.
    pub build_failure: Option<String>,
    pub results: Vec<StepResult>,
    /// The normalized transcript of the run (what the golden file holds).
    pub transcript: String,
    /// Permission errors the programs (or the compiler) reported: what the
    /// sandbox denied (see `sandbox::denials_in`).
    pub denied: Vec<String>,
}

impl Report {
    /// True when it built, no required step failed, and at least one step passed.
    pub fn passed(&self) -> bool {
        self.build_failure.is_none()
            && !self
                .results
                .iter()
                .any(|r| r.step.required && r.status == Status::Failed)
            && self.results.iter().any(|r| r.status == Status::Passed)
    }

    /// Passed with every step actually run: no `--step` limit, no side skipped.
    /// Only this marks a lab as done in the learner's progress.
    pub fn passed_completely(&self) -> bool {
        self.passed()
            && self.results.iter().all(|r| {
                r.status == Status::Passed || (!r.step.required && r.status == Status::Failed)
            })
    }

    /// The grader's own word on the compiler's errors, when it recognizes them.
    pub fn build_advice(&self) -> Option<String> {
        compile::advice(self.build_failure.as_deref()?, self.lab)
    }

    pub fn count(&self, status: Status) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }
}

/// A problem with the workbook itself or with how the grader was called (not
/// with the learner's program), in pt-BR.
#[derive(Debug)]
pub struct CheckError(pub String);

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Verifies the golden transcript has a section for every step of the lab.
pub fn load_expected(root: &Path, lab: &Lab) -> Result<Expected, CheckError> {
    let path = root.join(lab.snapshot_path());
    let expected = Expected::load(&path).map_err(|e| CheckError(e.0))?;
    if let Some(step) = lab.steps.iter().find(|s| expected.section(s.id).is_none()) {
        return Err(CheckError(format!(
            "A transcrição de referência {} não tem a seção `## {}`. Restaure-a com \
             `git checkout -- {}` ou regenere com `cargo insta test` e `cargo insta review`.",
            lab.snapshot_path().display(),
            step.id,
            lab.snapshot_path().display()
        )));
    }
    Ok(expected)
}

/// Builds (when needed) and grades one lab. `on_step` sees each step as it ends;
/// Whether a `--server-cmd`/`--client-cmd` command starts with `cargo`
/// (after any `VAR=valor` or `env`): inside the sandbox cargo cannot build, as
/// it would write to `target/` and read rustup's settings in the home folder,
/// so `cargo run` there fails with a "Permission denied" that teaches nothing.
pub fn runs_cargo(command: &str) -> bool {
    command
        .split_whitespace()
        .find(|word| !word.contains('=') && *word != "env")
        .is_some_and(|first| Path::new(first).file_name() == Some("cargo".as_ref()))
}

/// What to say when [`runs_cargo`]: build first, then give the binary.
pub fn cargo_in_command_advice(flag: &str) -> String {
    format!(
        "o comando de {flag} começa com `cargo`, e o corretor roda o comando isolado, numa \
         pasta só dele: ali o cargo não pode compilar (escreveria em target/). Compile \
         antes e passe o executável, por exemplo: `cargo build -p echo-solucao --example \
         servidor_por_leitura` e depois `{flag} target/debug/examples/servidor_por_leitura`."
    )
}

/// `before_run` is called once the build is done, before the first step.
pub async fn grade(
    root: &Path,
    lab: &'static Lab,
    target: &Target,
    opts: Options,
    color: bool,
    before_run: &mut dyn FnMut(),
    on_step: Box<dyn FnMut(&StepResult)>,
) -> Result<Report, CheckError> {
    // The grader holds every connection of a load step (lab 05: a thousand).
    #[cfg(unix)]
    crate::limits::raise_open_files();
    let expected = if opts.record {
        None
    } else {
        Some(load_expected(root, lab)?)
    };

    let mut server = target.server_cmd.as_ref().map(|command| Launch::Shell {
        command: command.clone(),
        cwd: target.cmd_cwd.clone(),
    });
    let mut client = target.client_cmd.as_ref().map(|command| Launch::Shell {
        command: command.clone(),
        cwd: target.cmd_cwd.clone(),
    });
    let mut report = Report {
        lab,
        graded: target.describe(root, lab),
        seed: opts.seed,
        build_failure: None,
        results: Vec::new(),
        transcript: String::new(),
        denied: Vec::new(),
    };

    // Without --server-cmd/--client-cmd, both sides come from the lab's crate.
    if !target.uses_commands() {
        let built = match &target.prebuilt {
            Some(prebuilt) => Ok((prebuilt.bin_dir.clone(), prebuilt.crate_dir.clone())),
            None => {
                let crate_dir = root.join(lab.crate_dir(target.variant));
                if !crate_dir.join("Cargo.toml").exists() {
                    return Err(CheckError(format!(
                        "Não encontrei o crate {}: a pasta foi apagada ou movida? Para recuperar \
                         o ponto de partida: `git checkout -- {}`.",
                        lab.crate_dir(target.variant).display(),
                        lab.crate_dir(target.variant).display()
                    )));
                }
                compile::build(root, lab, target.variant, color).map(|bin_dir| (bin_dir, crate_dir))
            }
        };
        match built {
            Ok((bin_dir, crate_dir)) => {
                let launch = |name: &str| Launch::Binary {
                    path: compile::binary(&bin_dir, name),
                    cwd: crate_dir.clone(),
                };
                if lab.has_role(Role::Server) {
                    server = Some(launch("servidor"));
                }
                if lab.has_role(Role::Client) {
                    client = Some(launch("cliente"));
                }
            }
            Err(failure) => {
                return Ok(not_graded(
                    lab,
                    target.describe(root, lab),
                    opts,
                    Some(failure.output),
                ));
            }
        }
    }

    before_run();
    let mut session = Session::new(lab, opts, expected, server, client, on_step);
    // The scenario stops by itself at the first failure or at --step.
    let _ = run_parts(&mut session, lab).await;
    let (results, transcript, denied) = session.finish_run().await;
    report.results = results;
    report.transcript = transcript;
    report.denied = denied;
    Ok(report)
}

/// The workbook's root folder, found at run time: `TOMADA_RAIZ` when set (the
/// tests grade copies of the workbook this way), else the nearest folder, from
/// the current directory up, whose `Cargo.toml` is this workspace.
///
/// Never the folder xtask was built in: a checkout copied or moved together with
/// its `target/` keeps the old binary (cargo sees nothing to rebuild), and a path
/// baked in at build time would grade the old folder's code.
pub fn workbook_root() -> Result<PathBuf, String> {
    if let Some(root) = std::env::var_os("TOMADA_RAIZ") {
        let root = PathBuf::from(root);
        return std::path::absolute(&root).map_err(|e| {
            format!(
                "TOMADA_RAIZ aponta para {}, que não é um caminho válido ({e}).",
                root.display()
            )
        });
    }
    let here = std::env::current_dir()
        .map_err(|e| format!("não consegui saber em que pasta você está ({e})."))?;
    find_workbook_from(&here).ok_or_else(|| {
        format!(
            "não encontrei a apostila a partir de {}: nenhuma pasta acima tem o Cargo.toml \
             da Tomada. Rode o comando dentro da pasta da apostila (a do `git clone`).",
            here.display()
        )
    })
}

/// The nearest folder, from `start` up, that holds the workbook's workspace.
pub fn find_workbook_from(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|folder| is_workbook(folder))
        .map(Path::to_path_buf)
}

/// Whether `folder/Cargo.toml` is the workbook's: the workspace whose root
/// package is `tomada` and which has the grader and the labs beside it. A lab
/// crate's own `Cargo.toml` on the way up is not it.
fn is_workbook(folder: &Path) -> bool {
    let Ok(manifest) = std::fs::read_to_string(folder.join("Cargo.toml")) else {
        return false;
    };
    let has_line = |wanted: &str| manifest.lines().any(|line| line.trim() == wanted);
    has_line("[workspace]")
        && has_line("name = \"tomada\"")
        && folder.join("xtask").join("Cargo.toml").is_file()
        && folder.join("labs").is_dir()
}

/// A report for a lab that could not be graded (it did not compile, or the
/// submission lacks it): every step not run, the reason kept.
pub fn not_graded(
    lab: &'static Lab,
    graded: String,
    opts: Options,
    reason: Option<String>,
) -> Report {
    let results = lab
        .steps
        .iter()
        .enumerate()
        .map(|(index, step)| StepResult {
            by_hand: Default::default(),
            number: index + 1,
            step,
            status: Status::NotRun,
            expected: Vec::new(),
            received: Vec::new(),
            notes: Vec::new(),
            outputs: Vec::new(),
            elapsed: std::time::Duration::ZERO,
        })
        .collect();
    Report {
        lab,
        graded,
        seed: opts.seed,
        denied: reason
            .as_deref()
            .map(crate::sandbox::denials_in)
            .unwrap_or_default(),
        build_failure: reason,
        results,
        transcript: String::new(),
    }
}

/// The server steps, then the client steps: each side only when it is graded.
async fn run_parts(session: &mut Session, lab: &Lab) -> crate::session::Flow {
    if session.begin_part(Role::Server) {
        (lab.server)(session).await?;
    }
    if session.begin_part(Role::Client) {
        (lab.client)(session).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn recognizes_a_command_that_runs_cargo() {
        assert!(super::runs_cargo(
            "cargo run -q -p echo-solucao --bin servidor"
        ));
        assert!(super::runs_cargo("RUST_LOG=1 env ~/.cargo/bin/cargo run"));
        assert!(!super::runs_cargo("python3 servidor.py"));
        assert!(!super::runs_cargo("target/debug/examples/cargo_fake"));
        assert!(!super::runs_cargo("   "));
    }
}
