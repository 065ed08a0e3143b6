//! The learner's path through the terminal commands, on a private copy of the
//! workbook: watch mode from the starter to lab 01 done without typing a cargo
//! command twice, then progress remembered, hints, reset and solution.

mod comum;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// Output of a running `watch`, line by line, with bounded waits.
struct Watching {
    child: Child,
    lines: Receiver<String>,
    seen: String,
}

impl Watching {
    fn start(copy: &Path) -> Watching {
        Watching::start_on(copy, "01")
    }

    fn start_on(copy: &Path, lab: &str) -> Watching {
        let mut child = comum::xtask()
            .env("TOMADA_RAIZ", copy)
            .args(["watch", lab])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watching {
            child,
            lines,
            seen: String::new(),
        }
    }

    /// Waits until a line containing `text` is printed (the event, not a delay).
    fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(90);
        while !self.seen.contains(text) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push_str(&line);
                    self.seen.push('\n');
                }
                Err(_) => panic!("o watch não mostrou {text:?}; até aqui:\n{}", self.seen),
            }
        }
    }

    fn key(&mut self, key: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{key}").unwrap();
        stdin.flush().unwrap();
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Puts the solution's version of `bin` into the copy's starter, as the learner
/// would after following the chapter.
fn solve(copy: &Path, bin: &str) {
    let solved =
        std::fs::read_to_string(copy.join(format!("labs/01-basico/solucao/src/bin/{bin}.rs")))
            .unwrap()
            .replace("basico_solucao", "basico_inicio");
    std::fs::write(
        copy.join(format!("labs/01-basico/inicio/src/bin/{bin}.rs")),
        solved,
    )
    .unwrap();
}

/// One `cargo xtask watch` from the starter's ✗ to lab 01 done; then `q`, and
/// the next day `next` and `list` know where the learner stopped.
#[test]
fn watch_leva_o_laboratorio_01_ate_o_fim() {
    let copy = comum::workbook_copy("watch");
    let mut watching = Watching::start(&copy);
    watching.wait_for("✗ 1 conecta");
    watching.wait_for("salve um arquivo para avaliar de novo");

    watching.key("h");
    watching.wait_for("Dica: O servidor cria o TcpListener");

    solve(&copy, "servidor");
    watching.wait_for("✓ 4 encerra");
    watching.wait_for("✗ 5 cliente-conecta");
    solve(&copy, "cliente");
    watching.wait_for("Laboratório concluído! Tecle n");

    watching.key("q");
    watching.wait_for("Até a próxima!");
    let status = watching.child.wait().unwrap();
    assert!(status.success());

    // "The next day": a new process reads the progress file.
    let next = comum::xtask()
        .env("TOMADA_RAIZ", &copy)
        .arg("next")
        .output()
        .unwrap();
    let next = String::from_utf8_lossy(&next.stdout);
    assert!(next.contains("Próximo laboratório: 02"), "{next}");
    let list = comum::xtask()
        .env("TOMADA_RAIZ", &copy)
        .arg("list")
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.contains("1 de 3 laboratórios concluídos") || list.contains(" de "),
        "{list}"
    );
    assert!(
        list.contains("01-basico — Servidor básico e cliente básico  ✓ concluído"),
        "{list}"
    );
    let _ = std::fs::remove_dir_all(&copy);
}

/// `reset` restores the starter and keeps the learner's version; `solution`
/// asks first (and refuses without a terminal) while the lab is not done.
#[test]
fn reset_guarda_uma_copia_e_solution_pergunta_antes() {
    let copy = comum::workbook_copy("reset");
    let starter = copy.join("labs/01-basico/inicio/src/bin/servidor.rs");
    let original = std::fs::read_to_string(&starter).unwrap();
    std::fs::write(&starter, "// minha versão\n").unwrap();
    std::fs::write(
        copy.join("labs/01-basico/inicio/src/extra.rs"),
        "// arquivo novo\n",
    )
    .unwrap();

    let refused = comum::xtask()
        .env("TOMADA_RAIZ", &copy)
        .args(["reset", "01"])
        .output()
        .unwrap();
    assert_eq!(
        refused.status.code(),
        Some(2),
        "sem terminal e sem --yes, nada muda"
    );
    assert_eq!(
        std::fs::read_to_string(&starter).unwrap(),
        "// minha versão\n"
    );

    let reset = comum::xtask()
        .env("TOMADA_RAIZ", &copy)
        .args(["reset", "01", "--yes"])
        .output()
        .unwrap();
    assert!(
        reset.status.success(),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    assert_eq!(std::fs::read_to_string(&starter).unwrap(), original);
    assert!(!copy.join("labs/01-basico/inicio/src/extra.rs").exists());
    let backups: Vec<_> = std::fs::read_dir(copy.join(".tomada/copias"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(backups.len(), 1);
    let kept = std::fs::read_to_string(backups[0].path().join("src/bin/servidor.rs")).unwrap();
    assert_eq!(kept, "// minha versão\n");
    assert!(backups[0].path().join("src/extra.rs").exists());

    let solution = comum::xtask()
        .env("TOMADA_RAIZ", &copy)
        .args(["solution", "01"])
        .output()
        .unwrap();
    assert_eq!(solution.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&solution.stderr).contains("cargo xtask hint 01"));
    let shown = comum::xtask()
        .env("TOMADA_RAIZ", &copy)
        .args(["solution", "01", "--yes"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&shown.stdout).contains("TcpListener::bind(endereco)"));
    let _ = std::fs::remove_dir_all(&copy);
}

/// `hint` defaults to the step that failed last; a step can be named or numbered.
#[test]
fn hint_por_numero_e_por_nome() {
    let by_number = comum::xtask().args(["hint", "02", "4"]).output().unwrap();
    let by_name = comum::xtask()
        .args(["hint", "02", "linha-longa"])
        .output()
        .unwrap();
    assert_eq!(by_number.stdout, by_name.stdout);
    assert!(
        String::from_utf8_lossy(&by_name.stdout)
            .contains("Releia: book/src/02-echo/servidor-echo.md#linha-longa")
    );
    let wrong = comum::xtask().args(["hint", "02", "99"]).output().unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("os passos vão de 1 a 12"));
}

/// Runs `cargo xtask <args>` on the copy, with `input` as its standard input
/// (a pipe, not a terminal; `None` for no input at all): (exit code, stdout, stderr).
fn run_on(copy: &Path, args: &[&str], input: Option<&str>) -> (Option<i32>, String, String) {
    let mut command = comum::xtask();
    command.env("TOMADA_RAIZ", copy).args(args);
    if input.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = input {
        // Dropped at the end of this block: the command then sees EOF after it.
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(text.as_bytes()).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Text with its line breaks and runs of spaces as single spaces (the
/// questions are wrapped at 78 columns, wherever the words fall).
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Marks labs as done in the copy's progress file, as graded runs would have.
fn mark_done(copy: &Path, dirs: &[&str]) {
    let labs: serde_json::Map<String, serde_json::Value> = dirs
        .iter()
        .map(|dir| {
            (
                (*dir).to_owned(),
                serde_json::json!({ "concluido": true, "passos_ok": 1 }),
            )
        })
        .collect();
    std::fs::create_dir_all(copy.join(".tomada")).unwrap();
    std::fs::write(
        copy.join(".tomada/progresso.json"),
        serde_json::json!({ "labs": labs }).to_string(),
    )
    .unwrap();
}

/// `reset` without a terminal still asks, and reads the answer from the pipe:
/// "n" keeps the learner's code, no answer at all (EOF) too, with a word about
/// `--yes`, and "s" resets.
#[test]
fn reset_sem_terminal_pergunta_e_le_a_resposta() {
    let copy = comum::workbook_copy("reset-pipe");
    let starter = copy.join("labs/01-basico/inicio/src/bin/servidor.rs");
    let original = std::fs::read_to_string(&starter).unwrap();
    std::fs::write(&starter, "// minha versão\n").unwrap();
    let question = "devolve labs/01-basico/inicio ao ponto de partida";

    let (code, out, err) = run_on(&copy, &["reset", "01"], Some("n\n"));
    assert_eq!(code, Some(2), "{out}\n{err}");
    assert!(
        flat(&out).contains(question),
        "a pergunta não apareceu: {out}"
    );
    assert!(flat(&out).contains("Continuar? [s/N] n"), "{out}");
    assert!(out.contains("[s/N] n\n"), "{out}");
    assert!(err.contains("nada foi mudado"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&starter).unwrap(),
        "// minha versão\n"
    );

    let (code, out, err) = run_on(&copy, &["reset", "01"], None);
    assert_eq!(code, Some(2), "{out}\n{err}");
    assert!(
        flat(&out).contains(question),
        "a pergunta não apareceu: {out}"
    );
    assert!(err.contains("a entrada terminou sem resposta"), "{err}");
    assert!(err.contains("cargo xtask reset 01 --yes"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&starter).unwrap(),
        "// minha versão\n"
    );

    let (code, out, err) = run_on(&copy, &["reset", "01"], Some("s\n"));
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(flat(&out).contains("Continuar? [s/N] s"), "{out}");
    assert!(out.contains("[s/N] s\n"), "{out}");
    assert!(out.contains("voltou ao ponto de partida"), "{out}");
    assert_eq!(std::fs::read_to_string(&starter).unwrap(), original);

    // `solution` asks the same way: a piped "s" shows it.
    let (code, out, err) = run_on(&copy, &["solution", "01"], Some("s\n"));
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(flat(&out).contains("quer mesmo ver? [s/N] s"), "{out}");
    assert!(out.contains("TcpListener::bind(endereco)"), "{out}");
    let _ = std::fs::remove_dir_all(&copy);
}

/// On a finished lab `hint` says it is finished and points to the next one;
/// after `reset` the lab is no longer done (`list`, `hint` and `next` agree).
#[test]
fn hint_diz_que_acabou_e_reset_zera_o_progresso() {
    let copy = comum::workbook_copy("hint-reset");
    solve(&copy, "servidor");
    solve(&copy, "cliente");
    let (code, out, err) = run_on(&copy, &["check", "01", "--timeout", "3000"], None);
    assert_eq!(code, Some(0), "{out}\n{err}");

    let (code, out, _) = run_on(&copy, &["hint", "01"], None);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("Você já concluiu o laboratório 01"),
        "o hint não disse que acabou:\n{out}"
    );
    assert!(out.contains("Próximo: cargo xtask check 02"), "{out}");
    assert!(!out.contains("Dica:"), "{out}");
    // A step named still gets its hint, with the lab's state said first.
    let (_, out, _) = run_on(&copy, &["hint", "01", "3"], None);
    assert!(
        out.contains("(Você já concluiu o laboratório 01.)"),
        "{out}"
    );
    assert!(out.contains("Dica:"), "{out}");

    let (code, out, err) = run_on(&copy, &["reset", "01", "--yes"], None);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("recomeça do zero"), "{out}");
    let (_, list, _) = run_on(&copy, &["list"], None);
    assert!(list.contains("0 de "), "{list}");
    assert!(
        list.contains("01-basico — Servidor básico e cliente básico  · a fazer"),
        "o progresso sobreviveu ao reset:\n{list}"
    );
    let (_, next, _) = run_on(&copy, &["next"], None);
    assert!(next.contains("Próximo laboratório: 01"), "{next}");
    let (_, out, _) = run_on(&copy, &["hint", "01"], None);
    assert!(out.contains("passo 1 (conecta)"), "{out}");
    assert!(!out.contains("já concluiu"), "{out}");
    let _ = std::fs::remove_dir_all(&copy);
}

/// In `watch`, `n` on the last lab goes back to the unfinished one before it
/// (it used to say "último laboratório" with lab 04 still to do).
#[test]
fn watch_n_vai_ao_proximo_nao_concluido() {
    let copy = comum::workbook_copy("watch-n");
    let last = xtask::catalog::LABS.last().unwrap();
    mark_done(&copy, &["01-basico", "02-echo", "03-chat", last.dir]);
    let mut watching = Watching::start_on(&copy, last.number);
    watching.wait_for(&format!("Observando labs/{}/inicio", last.dir));
    watching.key("n");
    watching.wait_for("Observando labs/04-robusto/inicio");
    assert!(!watching.seen.contains("último"), "{}", watching.seen);
    watching.key("q");
    watching.wait_for("Até a próxima!");
    let _ = std::fs::remove_dir_all(&copy);
}
