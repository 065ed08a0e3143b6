//! The command line as a learner meets it: `cargo xtask check|list`, exit codes,
//! the failure report's parts, JSON, and Ctrl-C leaving nothing behind.

mod comum;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn xtask() -> Command {
    comum::xtask()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = xtask().args(args).output().expect("xtask");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// The starter's failure report teaches: diff, diagnosis, hint, section, how to reproduce.
#[test]
fn relatorio_de_falha_do_ponto_de_partida() {
    let (code, out, err) = run(&["check", "01", "--timeout", "3000"]);
    assert_eq!(code, 1, "{out}\n{err}");
    for part in [
        "✗ 1 conecta",
        "Transcrição (− esperado, + recebido):",
        "− [cliente 1] conecta em 127.0.0.1:<porta>",
        "[E-SAIU-CEDO]",
        "Dica:",
        "Releia: book/src/01-basico/servidor-basico.md#bind",
        "Reproduza à mão, em dois terminais, na porta ",
        "O servidor ainda não foi escrito",
        "· 2 boas-vindas · não executado",
        "0 de 7 passos passaram",
    ] {
        assert!(out.contains(part), "faltou {part:?} em:\n{out}");
    }
    // By hand on the run's own port, never 5000: that would hide a port
    // hard-coded to 5000 (issue 10).
    let port = reproduce_port(&out);
    assert_ne!(port, 5000, "{out}");
    for part in [
        format!("1) cd labs/01-basico/inicio && PORTA={port} cargo run --bin servidor"),
        format!("2) nc 127.0.0.1 {port}"),
    ] {
        assert!(out.contains(&part), "faltou {part:?} em:\n{out}");
    }
    assert!(!out.contains('\u{1b}'), "NO_COLOR foi ignorado");
    assert!(
        !out.contains("panicked") && !err.contains("panicked"),
        "{err}"
    );
    let widest = out
        .lines()
        .filter(|l| !l.contains('│'))
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    assert!(widest <= 80, "linha com {widest} colunas:\n{out}");
}

/// `--solution --format json` passes with exit 0 and a parseable report.
#[test]
fn solucao_em_json() {
    let (code, out, err) = run(&[
        "check",
        "01",
        "--solution",
        "--format",
        "json",
        "--seed",
        "7",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON válido");
    assert_eq!(json["status"], "pass");
    assert_eq!(json["seed"], 7);
    let steps = json["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 7);
    assert!(steps.iter().all(|s| s["status"] == "pass"));
}

/// `--step 4` runs the server steps only and exits 0 when they pass.
#[test]
fn step_limita_os_passos() {
    let (code, out, _) = run(&["check", "01", "--solution", "--step", "4"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("✓ 4 encerra"));
    assert!(out.contains("· 5 cliente-conecta · não executado"));
}

/// `--verbose` shows the bytes as they cross the wire, with the real port.
#[test]
fn verbose_mostra_os_bytes() {
    let (code, _, err) = run(&["check", "01", "--solution", "--verbose", "--step", "2"]);
    assert_eq!(code, 0);
    assert!(
        err.contains(r#"[cliente 1] ← "Bem-vindo ao servidor!" (22 bytes)"#),
        "{err}"
    );
}

/// An unknown lab is a usage error (exit 2) with the list of labs.
#[test]
fn laboratorio_inexistente() {
    let (code, _, err) = run(&["check", "99"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("não existe o laboratório \"99\"") && err.contains("01-basico"),
        "{err}"
    );
}

/// `cargo run` as the command under test cannot build inside the sandbox: the
/// grader says so before starting anything, and how to give it the binary.
#[test]
fn cargo_run_no_comando_e_recusado_com_explicacao() {
    let (code, out, err) = run(&[
        "check",
        "02",
        "--server-cmd",
        "cargo run -q -p echo-solucao --bin servidor",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("começa com `cargo`") && err.contains("target/debug/"),
        "{err}"
    );
    assert!(!out.contains("Compilando"), "não deveria começar: {out}");
}

/// `list` shows every lab and every step.
#[test]
fn list_mostra_laboratorios_e_passos() {
    let (code, out, _) = run(&["list"]);
    assert_eq!(code, 0);
    for lab in xtask::catalog::LABS {
        assert!(out.contains(lab.dir));
        for step in lab.steps {
            assert!(out.contains(step.id), "{} ausente", step.id);
        }
    }
}

/// The tutorial's Python server, port 5000 hard-coded, passes as the issue asks:
/// `cargo xtask check 01 --server-cmd "python3 servidor_basico.py" --port 5000`.
#[test]
fn servidor_python_com_porta_fixa() {
    let output = xtask()
        .current_dir(comum::root().join("tests/fixtures/01-basico"))
        .args([
            "check",
            "01",
            "--server-cmd",
            "python3 servidor_basico.py",
            "--port",
            "5000",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains("✓ 4 encerra") && out.contains("- 5 cliente-conecta · pulado"),
        "{out}"
    );
}

/// Ctrl-C while a step waits: the grader exits 130 and kills the program under
/// test, which lives in its own process group and so never got the signal.
#[test]
fn ctrl_c_encerra_o_programa_em_teste() {
    let marker = comum::marker("ctrlc");
    let mut child = xtask()
        .current_dir(comum::root().join("tests/fixtures/01-basico"))
        .args([
            "check",
            "01",
            "--server-cmd",
            &format!("TOMADA_MARCA={marker} python3 nunca_escuta.py"),
            "--timeout",
            "60000",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the program under test is running (its marker shows in /proc).
    let deadline = Instant::now() + Duration::from_secs(30);
    while comum::marked_processes(&marker).is_empty() {
        assert!(Instant::now() < deadline, "o programa em teste não iniciou");
        std::thread::sleep(Duration::from_millis(20));
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let gone = Instant::now() + Duration::from_secs(3);
    loop {
        let alive = comum::marked_processes(&marker);
        if alive.is_empty() {
            break;
        }
        assert!(
            Instant::now() < gone,
            "o programa em teste sobreviveu ao Ctrl-C: {alive:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `check --all` grades every lab of this checkout; JUnit and Exercism JSON for CI.
#[test]
fn check_all_em_junit_e_json() {
    let (code, out, err) = run(&["check", "--all", "--format", "junit", "--timeout", "2000"]);
    assert_eq!(code, 1, "os pontos de partida falham: {err}");
    assert!(out.starts_with("<?xml"), "{out}");
    for lab in xtask::catalog::LABS {
        assert!(
            out.contains(&format!(".{}\" name=\"1 ", lab.dir)),
            "{} ausente",
            lab.dir
        );
    }
    let (code, out, _) = run(&["check", "--all", "--solution", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let failed: Vec<String> = json["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] != "pass")
        .map(|t| format!("{}: {}", t["name"], t["message"]))
        .collect();
    assert_eq!(code, 0, "soluções reprovadas: {failed:#?}");
    assert_eq!(json["version"], 3);
    assert_eq!(json["status"], "pass");
    let steps: usize = xtask::catalog::LABS.iter().map(|l| l.steps.len()).sum();
    assert_eq!(json["tests"].as_array().unwrap().len(), steps);
}

/// `cargo xtask bench rede` at a tiny size writes the chart and the results pages
/// the book shows (lab 05's and lab 08's), with one row per server and numbers in them. Only the output's
/// shape is checked: how fast anything ran is the benchmark's business, not a test's.
#[test]
fn bench_rede_escreve_grafico_e_tabela() {
    let book = std::env::temp_dir().join(format!("tomada-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&book);
    std::fs::create_dir_all(book.join("imagens")).unwrap();
    std::fs::create_dir_all(book.join("05-chat-async")).unwrap();
    let (code, out, err) = run(&[
        "bench",
        "rede",
        "--clientes",
        "5",
        "--livro",
        &book.display().to_string(),
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    let page = std::fs::read_to_string(book.join("05-chat-async/medicoes.md")).unwrap();
    for row in [
        "| lab 03 (threads) | 5 |",
        "| lab 05 (tokio) | 5 |",
        "| lab 02 (linhas com BufRead) |",
        "| uma leitura = uma mensagem (tutorial) |",
    ] {
        assert!(page.contains(row), "falta {row:?} em:\n{page}");
    }
    // Lab 02's echo frames by line: every reply is right.
    assert!(page.contains("160.000 de 160.000 | 20 de 20"), "{page}");
    let chart = std::fs::read_to_string(book.join("imagens/bench-chat.svg")).unwrap();
    // Two servers × one size × three panels.
    assert_eq!(chart.matches("<circle").count(), 6, "{chart}");
    // Lab 06's UDP against lab 02's TCP, in the same run: nothing lost on loopback.
    let udp = std::fs::read_to_string(book.join("06-udp/medicoes.md")).unwrap();
    for row in [
        "| TCP (lab 02) | conversa, 1 cliente |",
        "| UDP (lab 06) | conversa, 8 clientes |",
        "| UDP (lab 06), isolado como no corretor | pergunta avulsa",
    ] {
        assert!(udp.contains(row), "falta {row:?} em:\n{udp}");
    }
    assert_eq!(udp.matches("| 0 |  |").count(), 9, "{udp}");
    // Lab 08 with keep-alive and without, in the same run: every answer right.
    let http = std::fs::read_to_string(book.join("08-http/medicoes.md")).unwrap();
    for row in ["| com keep-alive", "| sem keep-alive"] {
        assert!(http.contains(row), "falta {row:?} em:\n{http}");
    }
    assert_eq!(http.matches("8.000 de 8.000").count(), 2, "{http}");
    let _ = std::fs::remove_dir_all(&book);
}

/// clap's own words come in pt-BR too: the help's headings and a typo's error.
#[test]
fn ajuda_e_erros_de_uso_em_portugues() {
    let (code, out, _) = run(&["check", "--help"]);
    assert_eq!(code, 0);
    for part in [
        "Uso: cargo xtask check",
        "Argumentos:",
        "Opções:",
        "Mostra esta ajuda",
    ] {
        assert!(out.contains(part), "falta {part:?} em:\n{out}");
    }
    let (code, _, err) = run(&["chekc"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("erro: subcomando desconhecido 'chekc'"),
        "{err}"
    );
    assert!(
        err.contains("dica: existe um subcomando parecido: 'check'"),
        "{err}"
    );
}

/// The port the "reproduce by hand" advice names (`…, na porta 23456:`).
fn reproduce_port(out: &str) -> u16 {
    let line = out
        .lines()
        .find(|l| l.contains("Reproduza à mão"))
        .unwrap_or_else(|| panic!("sem \"Reproduza à mão\" em:\n{out}"));
    line.trim_end_matches(':')
        .rsplit(' ')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("sem porta em {line:?}"))
}

/// A lab 03 step that holds two clients at once takes three terminals by
/// hand, and the advice lists both `nc`, on the run's port (issue 10).
#[test]
fn passo_com_dois_clientes_pede_tres_terminais() {
    let (code, out, err) = run(&[
        "check",
        "03",
        "--server-cmd",
        "python3 tests/fixtures/03-chat/chat.py eco-ao-remetente",
        "--timeout",
        "2000",
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("✗ 3 mensagem"), "{out}");
    assert!(out.contains("Reproduza à mão, em três terminais"), "{out}");
    let port = reproduce_port(&out);
    assert!(out.contains(&format!("2) nc 127.0.0.1 {port}\n")), "{out}");
    assert!(
        out.contains(&format!(
            "3) nc 127.0.0.1 {port}   (outro cliente, ao mesmo tempo)"
        )),
        "{out}"
    );
}

/// A panic's line names a long path (a dependency in `~/.cargo/registry`): the
/// report shows it whole, never cut in the middle, and names it E-PANICO.
#[test]
fn caminho_longo_no_panico_nao_e_quebrado() {
    let (code, out, err) = run(&[
        "check",
        "01",
        "--server-cmd",
        "python3 tests/fixtures/01-basico/panico.py antes-do-accept",
        "--timeout",
        "2000",
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("[E-PANICO]"), "{out}");
    let path = "/home/aluna/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokio-1.48.0/\
                src/runtime/blocking/shutdown.rs:51:21:";
    assert!(
        out.lines().any(|l| l.contains('│') && l.contains(path)),
        "o caminho foi quebrado:\n{out}"
    );
}

/// A `--server-cmd` that names a tool of the learner's own `PATH` (a script in
/// `~/bin`, `node` from nvm) runs inside the sandbox, whose `PATH` otherwise
/// has only the system folders: the folder is found and made readable.
#[test]
fn comando_do_path_do_aprendiz_roda_isolado() {
    use std::os::unix::fs::PermissionsExt as _;
    let tools = std::env::temp_dir().join(format!("tomada-ferramentas-{}", std::process::id()));
    std::fs::create_dir_all(&tools).unwrap();
    let script = tools.join("meu-servidor-basico");
    std::fs::write(
        &script,
        "#!/usr/bin/env python3\n\
         import os, socket\n\
         s = socket.socket()\n\
         s.bind(('127.0.0.1', int(os.environ['PORTA'])))\n\
         s.listen(1)\n\
         c, _ = s.accept()\n\
         s.close()\n\
         c.sendall(b'Bem-vindo ao servidor!')\n\
         c.close()\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = std::env::join_paths(std::iter::once(tools.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let output = comum::xtask()
        .env("PATH", path)
        .args([
            "check",
            "01",
            "--step",
            "4",
            "--server-cmd",
            "meu-servidor-basico",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let _ = std::fs::remove_dir_all(&tools);
    assert!(stdout.contains("4 de 7 passos passaram"), "{stdout}");
}
