//! The grader against deliberately broken programs (`tests/fixtures/01-basico/`):
//! each fails at the step that names its defect, with the right diagnosis, and
//! leaves no process behind. Programs written as in the Python tutorial pass.

mod comum;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use xtask::session::{Options, Status};

/// Runs a fixture server of lab 01 with a pid file and returns (failing step, codes).
fn broken_server(
    script: &str,
    timeout_ms: u64,
) -> (
    Option<(&'static str, Vec<&'static str>)>,
    xtask::check::Report,
) {
    let marker = comum::marker(script);
    let command = format!("TOMADA_MARCA={marker} python3 {script}");
    let report = server_only("01", &command, timeout_ms);
    assert_nothing_left(&marker);
    (comum::first_failure(&report), report)
}

/// Grades `command` (run from `tests/fixtures/<lab>/`) as the server of `lab`.
fn server_only(lab: &str, command: &str, timeout_ms: u64) -> xtask::check::Report {
    let lab = comum::lab(lab);
    let target = comum::fixture(lab, Some(command), None);
    comum::grade(lab, &target, comum::options(timeout_ms)).0
}

/// The server steps all passed (bonus included) and the client steps were skipped.
fn assert_server_steps_pass(report: &xtask::check::Report) {
    assert!(report.passed(), "{}", comum::describe(report));
    for r in &report.results {
        let expected = match r.step.role {
            xtask::catalog::Role::Server => Status::Passed,
            xtask::catalog::Role::Client => Status::Skipped,
        };
        assert_eq!(
            r.status,
            expected,
            "{}: {}",
            r.step.id,
            comum::describe(report)
        );
    }
}

/// The first failure is at `step` and its diagnoses include `code`.
fn assert_fails_at(report: &xtask::check::Report, step: &str, code: &str) {
    let (failed, codes) = comum::first_failure(report)
        .unwrap_or_else(|| panic!("não falhou: {}", comum::describe(report)));
    assert_eq!(failed, step, "{}", comum::describe(report));
    assert!(
        codes.contains(&code),
        "{code} ausente em {codes:?}: {}",
        comum::describe(report)
    );
}

/// No process carrying the fixture's marker is alive (a zombie awaiting its
/// reaper does not count). SIGKILL is delivered asynchronously, so a killed
/// process may need a moment to disappear: wait for it, within a bound.
fn assert_nothing_left(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let alive = comum::marked_processes(marker);
        if alive.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "processos do programa em teste continuam vivos: {alive:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A typo in the welcome fails step 2 and says where the bytes differ.
#[test]
fn texto_errado_falha_nas_boas_vindas() {
    let (failure, report) = broken_server("texto_errado.py", 3000);
    assert_eq!(
        failure,
        Some(("boas-vindas", vec!["E-BYTES-DIFERENTES"])),
        "{}",
        comum::describe(&report)
    );
    let note = &report.results[1].notes[0].text;
    assert!(note.contains("byte 4"), "{note}");
}

/// A trailing newline fails step 2 and is named as an extra byte.
#[test]
fn bytes_a_mais_falham_nas_boas_vindas() {
    let (failure, report) = broken_server("bytes_a_mais.py", 3000);
    assert_eq!(
        failure,
        Some(("boas-vindas", vec!["E-BYTES-A-MAIS"])),
        "{}",
        comum::describe(&report)
    );
    let step = &report.results[1];
    assert_eq!(
        step.received,
        vec![r#"[cliente 1] ← "Bem-vindo ao servidor!\n""#]
    );
    assert!(
        step.notes[0]
            .text
            .contains(r#"1 byte(s) a mais depois dela: "\n""#)
    );
}

/// A server that never closes passes step 2 and fails step 3, "fecha".
#[test]
fn servidor_que_nunca_fecha_falha_no_fechamento() {
    let (failure, report) = broken_server("nunca_fecha.py", 1000);
    assert_eq!(
        failure,
        Some(("fecha", vec!["E-NAO-FECHOU"])),
        "{}",
        comum::describe(&report)
    );
    assert_eq!(report.results[1].status, Status::Passed);
}

/// A crash after accept fails step 2 and shows the program's own error.
#[test]
fn servidor_que_quebra_mostra_o_erro_dele() {
    let (failure, report) = broken_server("quebra.py", 3000);
    let (step, codes) = failure.expect("deveria falhar");
    assert_eq!(step, "boas-vindas", "{}", comum::describe(&report));
    assert_eq!(codes, vec!["E-NADA-CHEGOU", "E-PROGRAMA-TERMINOU"]);
    let outputs = &report.results[1].outputs;
    assert!(
        outputs
            .iter()
            .any(|(label, text)| label.contains("stderr") && text.contains("RuntimeError")),
        "{outputs:?}"
    );
}

/// A server that never opens the port fails step 1 within the deadline.
#[test]
fn servidor_que_nunca_escuta_falha_na_conexao() {
    let (failure, report) = broken_server("nunca_escuta.py", 1000);
    assert_eq!(
        failure,
        Some(("conecta", vec!["E-SEM-CONEXAO"])),
        "{}",
        comum::describe(&report)
    );
}

/// A server that keeps running after serving fails step 4, "encerra".
#[test]
fn servidor_que_nao_termina_falha_no_encerramento() {
    let (failure, report) = broken_server("nao_termina.py", 1000);
    assert_eq!(
        failure,
        Some(("encerra", vec!["E-NAO-TERMINOU"])),
        "{}",
        comum::describe(&report)
    );
}

/// A program that exits at once but leaves a child running: step 1 fails, and
/// the child (same process group) is killed too.
#[test]
fn filho_esquecido_e_encerrado_com_o_grupo() {
    let (failure, report) = broken_server("filho_esquecido.py", 3000);
    assert_eq!(
        failure,
        Some(("conecta", vec!["E-SAIU-CEDO"])),
        "{}",
        comum::describe(&report)
    );
}

/// With `--port` on a port another process holds, the grader says so before
/// starting anything (it would otherwise talk to the wrong program).
#[test]
fn porta_fixa_ocupada_e_diagnosticada() {
    let lab = comum::lab("01");
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let opts = Options {
        fixed_port: Some(port),
        ..comum::options(1000)
    };
    let (report, _) = comum::grade(
        lab,
        &comum::fixture(lab, Some("python3 servidor_basico.py"), None),
        opts,
    );
    assert_eq!(
        comum::first_failure(&report),
        Some(("conecta", vec!["E-PORTA-EM-USO"]))
    );
}

/// A client that prints a fixed text passes the fixed message and fails the drawn one.
#[test]
fn cliente_com_texto_fixo_falha_na_mensagem_sorteada() {
    let lab = comum::lab("01");
    let (report, _) = comum::grade(
        lab,
        &comum::fixture(lab, None, Some("python3 cliente_fixo.py")),
        comum::options(3000),
    );
    assert_eq!(
        comum::first_failure(&report),
        Some(("cliente-aleatorio", vec![])),
        "{}",
        comum::describe(&report)
    );
    assert_eq!(report.results[5].status, Status::Passed);
}

/// The tutorial's server, in Python with port 5000 hard-coded, passes the server
/// steps with `--server-cmd ... --port 5000`; the client steps are skipped.
#[test]
fn servidor_do_tutorial_em_python_passa() {
    let lab = comum::lab("01");
    let opts = Options {
        fixed_port: Some(5000),
        ..comum::options(5000)
    };
    let (report, _) = comum::grade(
        lab,
        &comum::fixture(lab, Some("python3 servidor_basico.py"), None),
        opts,
    );
    assert!(report.passed(), "{}", comum::describe(&report));
    let statuses: Vec<_> = report.results.iter().map(|r| r.status).collect();
    assert_eq!(&statuses[..4], &[Status::Passed; 4]);
    assert_eq!(&statuses[4..], &[Status::Skipped; 3]);
}

/// The tutorial's client (one `recv`) passes lab 01's client steps.
#[test]
fn cliente_do_tutorial_em_python_passa() {
    let lab = comum::lab("01");
    let (report, _) = comum::grade(
        lab,
        &comum::fixture(lab, None, Some("python3 cliente_basico.py")),
        comum::options(5000),
    );
    assert!(report.passed(), "{}", comum::describe(&report));
    assert_eq!(report.count(Status::Passed), 3);
}

// ---- laboratório 02 (echo) ----------------------------------------------------

/// An echo server written independently (Python, bytes, threads) passes every
/// server step, the bonus included.
#[test]
fn eco_independente_em_python_passa() {
    assert_server_steps_pass(&server_only("02", "python3 eco.py", 5000));
}

/// The tutorial's echo (each `recv(1024)` is a message) fails at the long line,
/// and the diagnosis says the reply came in pieces.
#[test]
fn eco_do_tutorial_falha_na_linha_longa() {
    let report = server_only("02", "python3 eco.py tutorial", 2000);
    assert_fails_at(&report, "linha-longa", "E-ECO-FRAGMENTADO");
    let note = &report.results[3].notes[0].text;
    assert!(
        note.starts_with(
            "A resposta chegou em pedaços: o servidor tratou cada leitura como uma mensagem inteira"
        ),
        "{note}"
    );
}

/// No "Echo: " prefix: step 1.
#[test]
fn eco_sem_prefixo_falha_na_primeira_linha() {
    let report = server_only("02", "python3 eco.py sem-prefixo", 2000);
    assert_fails_at(&report, "uma-linha", "E-BYTES-DIFERENTES");
}

/// The tutorial's server translated to Rust (`examples/servidor_por_leitura.rs`,
/// which the bench measures) fails where the Python one does, for the same reason.
#[test]
fn eco_por_leitura_em_rust_falha_na_linha_longa() {
    // Built first, so the grader's connect deadline never waits for the compiler.
    let root = comum::root();
    let built = std::process::Command::new(std::env::var_os("CARGO").unwrap_or("cargo".into()))
        .current_dir(&root)
        .args([
            "build",
            "-q",
            "-p",
            "echo-solucao",
            "--example",
            "servidor_por_leitura",
        ])
        .status()
        .expect("cargo build");
    assert!(built.success());
    let server = root.join("target/debug/examples/servidor_por_leitura");
    let report = server_only("02", &server.display().to_string(), 5000);
    assert_fails_at(&report, "linha-longa", "E-ECO-FRAGMENTADO");
}

/// Serves one client then exits: step 3, and the grader says it exited.
#[test]
fn eco_de_um_cliente_so_falha_no_segundo_cliente() {
    let report = server_only("02", "python3 eco.py um-cliente", 2000);
    assert_fails_at(&report, "segundo-cliente", "E-PROGRAMA-TERMINOU");
}

// ---- laboratório 03 (chat) ----------------------------------------------------

/// A chat server written independently (Python, `queue`, makefile) passes every
/// server step.
#[test]
fn chat_independente_em_python_passa() {
    assert_server_steps_pass(&server_only("03", "python3 chat.py", 5000));
}

/// Echoing a line to its sender fails at "mensagem", named as such.
#[test]
fn chat_que_devolve_ao_remetente_falha_na_mensagem() {
    let report = server_only("03", "python3 chat.py eco-ao-remetente", 2000);
    assert_fails_at(&report, "mensagem", "E-ECO-AO-REMETENTE");
}

/// Trusting the name in the client's text fails at "nome-pelo-servidor".
#[test]
fn chat_que_confia_no_nome_falha_no_nome_pelo_servidor() {
    let report = server_only("03", "python3 chat.py confia-no-nome", 2000);
    assert_fails_at(&report, "nome-pelo-servidor", "E-BYTES-DIFERENTES");
}

/// No leave notice: "saida-limpa" waits for it in vain.
#[test]
fn chat_sem_aviso_de_saida_falha_na_saida() {
    let report = server_only("03", "python3 chat.py sem-aviso-de-saida", 1500);
    assert_fails_at(&report, "saida-limpa", "E-SEM-RESPOSTA");
}

/// Writing to sockets under the lock: a client that never reads freezes the
/// room, and the diagnosis says why.
#[test]
fn chat_que_bloqueia_no_cliente_lento_falha() {
    let report = server_only("03", "python3 chat.py bloqueia-no-lento", 2000);
    assert_fails_at(&report, "cliente-lento", "E-CHAT-BLOQUEADO");
}

// ---- laboratório 04 (servidor robusto) ----------------------------------------

/// A robust echo server written independently (Python, threads, `settimeout`,
/// `signal`) passes every server step.
#[test]
fn robusto_independente_em_python_passa() {
    assert_server_steps_pass(&server_only("04", "python3 robusto.py", 5000));
}

/// Without SO_REUSEADDR the restart finds the port taken (TIME_WAIT) and says so.
#[test]
fn robusto_sem_reuseaddr_falha_no_reinicio() {
    let report = server_only("04", "python3 robusto.py sem-reuseaddr", 2000);
    assert_fails_at(&report, "reinicio-mesma-porta", "E-PORTA-EM-USO");
}

/// Without an idle limit the silent client is never let go.
#[test]
fn robusto_sem_tempo_limite_falha_no_tempo_limite() {
    let report = server_only("04", "python3 robusto.py sem-tempo-limite", 1500);
    assert_fails_at(&report, "tempo-limite", "E-SEM-TEMPO-LIMITE");
}

/// Dying of SIGTERM (the default) leaves the clients without a goodbye.
#[test]
fn robusto_que_morre_no_sigterm_falha_no_encerramento() {
    let report = server_only("04", "python3 robusto.py morre-no-sigterm", 2000);
    assert_fails_at(&report, "encerra-no-sigterm", "E-SEM-ENCERRAMENTO");
}

// ---- laboratório 05 (chat assíncrono) -------------------------------------------

/// Lab 03's server (a thread or two per client) passes the protocol steps of
/// lab 05 and fails at a thousand clients, where it runs out of threads.
#[test]
fn chat_com_threads_nao_chega_a_mil_clientes() {
    let root = comum::root();
    let threads = comum::lab("03");
    let bin_dir = xtask::compile::build(&root, threads, xtask::catalog::Variant::Solution, false)
        .unwrap_or_else(|f| panic!("a solução do lab 03 não compilou: {}", f.output));
    let server = xtask::compile::binary(&bin_dir, "servidor");
    let lab = comum::lab("05");
    let mut target = comum::fixture(lab, Some(&server.display().to_string()), None);
    target.cmd_cwd = root;
    let report = comum::grade(lab, &target, comum::options(5000)).0;
    assert_fails_at(&report, "mil-clientes", "E-THREADS-DEMAIS");
    let passed = report
        .results
        .iter()
        .filter(|r| r.status == Status::Passed)
        .count();
    assert_eq!(passed, 11, "{}", comum::describe(&report));
}
