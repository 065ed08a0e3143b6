//! `cargo xtask grade` on a class with honest and hostile submissions: every one
//! gets a clear verdict, the honest ones are graded right in the same run, all
//! four reports are written, and no process of theirs is left afterwards.

mod comum;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Writes lab `dir`'s starter `src/` into `labs/`, optionally solved (the
/// solution's code under the starter's crate name).
fn put_lab(labs: &Path, dir: &str, solved: bool) {
    let root = comum::root();
    let (from, theme) = (
        root.join("labs")
            .join(dir)
            .join(if solved { "solucao" } else { "inicio" })
            .join("src"),
        dir.split_once('-').unwrap().1,
    );
    let to = labs.join(dir).join("inicio").join("src");
    comum::copy_dir(&from, &to);
    if solved {
        for file in ["lib.rs", "bin/servidor.rs", "bin/cliente.rs"] {
            let path = to.join(file);
            let text = std::fs::read_to_string(&path).unwrap();
            let renamed = text.replace(&format!("{theme}_solucao"), &format!("{theme}_inicio"));
            std::fs::write(path, renamed).unwrap();
        }
    }
}

/// The class: two honest students, one hostile per fixture file.
fn build_class(class: &Path) {
    let fixtures = comum::root().join("tests/fixtures/turma");
    // ana: a whole copy of the workbook, both labs solved.
    put_lab(&class.join("ana/labs"), "01-basico", true);
    put_lab(&class.join("ana/labs"), "02-echo", true);
    // bruno: only the labs/ folder, untouched starters.
    put_lab(&class.join("bruno"), "01-basico", false);
    put_lab(&class.join("bruno"), "02-echo", false);
    for entry in std::fs::read_dir(&fixtures).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".rs") else {
            continue;
        };
        let mut parts = stem.splitn(3, '-');
        let (student, lab, bin) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let labs = class.join(student).join("labs");
        put_lab(&labs, "01-basico", lab != "01");
        let dir = if lab == "01" { "01-basico" } else { "02-echo" };
        if lab != "01" {
            put_lab(&labs, dir, false);
        }
        std::fs::copy(
            entry.path(),
            labs.join(dir)
                .join("inicio/src/bin")
                .join(format!("{bin}.rs")),
        )
        .unwrap();
    }
}

fn json(out: &Path, student: &str) -> Value {
    let text = std::fs::read_to_string(out.join("json").join(format!("{student}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The first failed test of a lab in a student's results: (step id, message).
fn first_failure(results: &Value, lab: &str) -> Option<(String, String)> {
    results["tests"].as_array()?.iter().find_map(|t| {
        let name = t["name"].as_str()?;
        let step = name.strip_prefix(&format!("{lab} · "))?;
        (t["status"] == "fail").then(|| {
            let id = step.split_once(' ').map_or(step, |(_, id)| id).to_owned();
            (id, t["message"].as_str().unwrap_or("").to_owned())
        })
    })
}

/// Processes whose executable lives under `dir` (the graded submissions).
fn processes_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(exe) = std::fs::read_link(entry.path().join("exe")) else {
            continue;
        };
        if exe.starts_with(dir) {
            found.push(format!(
                "{} {}",
                entry.file_name().to_string_lossy(),
                exe.display()
            ));
        }
    }
    found
}

#[test]
fn turma_com_entregas_hostis() {
    let base: PathBuf = std::env::temp_dir().join(format!("tomada-turma-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (class, out) = (base.join("entregas"), base.join("notas"));
    build_class(&class);

    let output = comum::xtask()
        .args([
            "grade",
            "--labs",
            "01,02",
            "--jobs",
            "2",
            "--timeout",
            // hugo (memory) takes 1 to 1.7 s to be killed by its cgroup on an
            // idle machine of 2 cores; 2 s failed under the team's load.
            "4000",
            "--out",
        ])
        .arg(&out)
        .arg(&class)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // Nothing of theirs is left running.
    let left = processes_under(&out);
    assert!(left.is_empty(), "processos que sobraram: {left:?}");

    // The honest ones.
    let ana = json(&out, "ana");
    assert_eq!(ana["version"], 3);
    assert_eq!(ana["status"], "pass", "{ana:#}");
    let bruno = json(&out, "bruno");
    assert_eq!(first_failure(&bruno, "01-basico").unwrap().0, "conecta");
    assert_eq!(first_failure(&bruno, "02-echo").unwrap().0, "uma-linha");

    // A build error: its compiler messages, and zero for that lab only.
    let caio = json(&out, "caio");
    assert_eq!(caio["status"], "error");
    assert!(
        caio["message"]
            .as_str()
            .unwrap()
            .contains("mismatched types"),
        "{caio:#}"
    );
    // He handed in only lab 01: lab 02 is "not delivered", not a crash of the run.
    assert!(
        caio["message"]
            .as_str()
            .unwrap()
            .contains("02-echo: a entrega não tem 02-echo/inicio/src"),
        "{caio:#}"
    );

    // Each hostile one fails where it should, with the diagnosis that says why.
    for (student, step, code) in [
        ("duda", "conecta", "E-SEM-CONEXAO"),
        ("edu", "conecta", "E-SEM-CONEXAO"),
        // The sandbox lets it bind only its PORTA: the wrong port is denied.
        ("fabi", "conecta", "E-PROGRAMA-TERMINOU"),
        ("gabi", "conecta", "E-SEM-CONEXAO"),
        ("hugo", "conecta", "E-PROGRAMA-TERMINOU"),
        ("iara", "boas-vindas", "E-BYTES-DEMAIS"),
        ("joao", "boas-vindas", "E-BYTES-DIFERENTES"),
        ("kiko", "boas-vindas", "E-NADA-CHEGOU"),
    ] {
        let results = json(&out, student);
        let (failed, message) = first_failure(&results, "01-basico")
            .unwrap_or_else(|| panic!("{student}: {results:#}"));
        assert_eq!(failed, step, "{student}: {message}");
        assert!(
            message.contains(code),
            "{student}: falta {code} em {message}"
        );
    }
    let fabi = json(&out, "fabi");
    assert!(
        fabi["acessos_negados"][0]
            .as_str()
            .is_some_and(|l| l.contains("Permission denied")),
        "{fabi:#}"
    );
    let lia = json(&out, "lia");
    assert!(first_failure(&lia, "01-basico").is_none(), "{lia:#}");
    let (failed, message) = first_failure(&lia, "02-echo").unwrap();
    assert_eq!(failed, "segundo-cliente");
    // Her server panics (exit code 101): named as a panic, with its message.
    assert!(message.contains("E-PANICO"), "{message}");
    assert!(
        message.contains("não sei atender um segundo cliente"),
        "{message}"
    );

    // The other reports.
    let csv = std::fs::read_to_string(out.join("notas.csv")).unwrap();
    assert!(
        csv.starts_with("aluno,01-basico,02-echo,total,maximo\n"),
        "{csv}"
    );
    assert!(csv.contains("\nana,7,11,18,18\n"), "{csv}");
    assert!(csv.contains("\ncaio,0,0,0,18\n"), "{csv}");
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(
        junit.contains("<testsuite name=\"ana\" tests=\"19\" failures=\"0\" errors=\"0\""),
        "{junit}"
    );
    assert!(junit.contains("<error message=\"não avaliado\">"));
    let markdown = std::fs::read_to_string(out.join("resumo.md")).unwrap();
    assert!(
        markdown.contains("| ana | 7/7 | 11/11 | 18/18 |"),
        "{markdown}"
    );
    // Where the class is stuck: per lab, the step where most stopped, with counts,
    // in the summary and on the terminal alike.
    let lab01 = "01-basico: 6 de 12 pararam em `conecta` (passo 1), 3 em `boas-vindas` \
                 (passo 2); 1 não compilou ou não foi entregue; 2 concluíram.";
    let lab02 = "02-echo: 1 de 12 parou em `uma-linha` (passo 1), 1 em `segundo-cliente` \
                 (passo 3); 9 não compilaram ou não foram entregues; 1 concluiu.";
    let stuck = markdown
        .split_once("## Onde a turma parou\n\n")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("falta \"Onde a turma parou\" em:\n{markdown}"));
    assert!(
        stuck.starts_with(&format!("- {lab01}\n- {lab02}\n")),
        "{markdown}"
    );
    assert!(
        stdout.contains(&format!("Onde a turma parou:\n  {lab01}\n  {lab02}\n")),
        "{stdout}"
    );
    assert!(
        stdout.contains("compilando") && stdout.contains("avaliando"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&base);
}
