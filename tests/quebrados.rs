//! The grader against deliberately broken programs (`tests/fixtures/01-basico/`):
//! each fails at the step that names its defect, with the right diagnosis, and
//! leaves no process behind. Programs written as in the Python tutorial pass.

mod comum;

use comum::{assert_fails_at, assert_nothing_left, step};
use xtask::catalog::Role;

use std::net::TcpListener;
use std::time::Duration;

use xtask::session::{Options, Status};

/// Runs a fixture server of lab 01, marked so that its processes can be found
/// afterwards (none may be left), and returns (failing step, codes).
fn broken_server(
    script: &str,
    timeout_ms: u64,
) -> (
    Option<(&'static str, Vec<&'static str>)>,
    xtask::check::Report,
) {
    let lab = comum::lab("01");
    let cwd = comum::root().join("tests/fixtures/01-basico");
    let command = format!("python3 {script}");
    let report = comum::grade_marked(lab, Role::Server, &cwd, &command, timeout_ms);
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

/// The tutorial's client (one `recv` taken as the whole message) gets the
/// welcome in pieces, as a real network may deliver it, and prints only the
/// first: it fails the first printed message, named as a cut message.
#[test]
fn cliente_do_tutorial_em_python_imprime_so_o_primeiro_pedaco() {
    let report = client_only("01", "python3 cliente_basico.py", 3000);
    assert_fails_at(&report, "cliente-imprime", "E-SAIDA-PARTIDA");
    assert_eq!(report.results[4].status, Status::Passed);
}

/// Grades `command` (run from `tests/fixtures/<lab>/`) as the client of `lab`.
fn client_only(lab: &str, command: &str, timeout_ms: u64) -> xtask::check::Report {
    let lab = comum::lab(lab);
    let target = comum::fixture(lab, None, Some(command));
    comum::grade(lab, &target, comum::options(timeout_ms)).0
}

/// A failing step whose outcome an event had already decided reports at once,
/// not at the 5 s deadline (the bound is generous: the machine may be busy).
fn assert_decided_at_once(report: &xtask::check::Report, id: &str, context: &str) {
    let elapsed = step(report, id).elapsed;
    assert!(
        elapsed < Duration::from_millis(1500),
        "{context}: {elapsed:?} para decidir o que já estava decidido"
    );
}

fn printed_line<'a>(report: &'a xtask::check::Report, step: &str) -> &'a str {
    report
        .results
        .iter()
        .find(|r| r.step.id == step)
        .and_then(|r| {
            r.received
                .iter()
                .find(|l| l.starts_with("[cliente] imprimiu"))
        })
        .map_or("", String::as_str)
}

/// Lab 02's echo client that takes one `recv` as the whole reply prints a cut
/// reply: it fails the first client step with `E-SAIDA-PARTIDA`, at once (the
/// printed line already decides), whatever the seed cuts.
#[test]
fn cliente_echo_de_um_recv_falha_na_resposta_partida() {
    for seed in [42, 7, 1234] {
        let lab = comum::lab("02");
        let target = comum::fixture(lab, None, Some("python3 cliente_um_recv.py"));
        let opts = Options {
            seed,
            ..comum::options(5000)
        };
        let (report, _) = comum::grade(lab, &target, opts);
        assert_fails_at(&report, "cliente-envia", "E-SAIDA-PARTIDA");
        assert_decided_at_once(&report, "cliente-envia", &format!("semente {seed}"));
    }
}

/// Lab 04's client steps cut the replies too: the one-`recv` echo client fails
/// its first step the same way.
#[test]
fn cliente_robusto_de_um_recv_falha_na_resposta_partida() {
    let report = client_only("04", "python3 ../02-echo/cliente_um_recv.py", 5000);
    assert_fails_at(&report, "cliente-eco", "E-SAIDA-PARTIDA");
}

/// An echo client reading into a 16-byte buffer prints a cut reply and stays
/// running (waiting on its keyboard): the printed line already decides, so the
/// step fails at once, not at the 5 s deadline.
#[test]
fn cliente_echo_com_buffer_curto_falha_na_hora() {
    let report = client_only("02", "python3 cliente_um_recv.py 16", 5000);
    assert_fails_at(&report, "cliente-envia", "E-SAIDA-PARTIDA");
    assert_decided_at_once(&report, "cliente-envia", "buffer de 16 bytes");
}

/// A client that prints its whole 1,024-byte buffer (the message, then ~1,000
/// NULs) fails the first printed message, names the NULs, and the transcript
/// shows them.
#[test]
fn cliente_que_imprime_o_buffer_inteiro_falha_pelos_nulos() {
    let report = client_only("01", "python3 cliente_buffer_inteiro.py", 3000);
    assert_fails_at(&report, "cliente-imprime", "E-SAIDA-COM-NUL");
    let line = printed_line(&report, "cliente-imprime");
    assert!(line.contains(r"Bem-vindo ao servidor!\0\0"), "{line}");
}

/// A client that ends its printed line with `\r\n` fails, and the `\r` is named.
#[test]
fn cliente_que_imprime_cr_falha_pelo_cr() {
    let report = client_only("01", "python3 cliente_crlf.py", 3000);
    assert_fails_at(&report, "cliente-imprime", "E-SAIDA-COM-CR");
    let line = printed_line(&report, "cliente-imprime");
    assert!(line.ends_with(r#"servidor!\r""#), "{line}");
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

/// A reply with an extra `\n` (`Echo: x\n\n`) fails the first step, named as
/// extra bytes after the reply, not the next step as a missing loop.
#[test]
fn eco_com_linha_a_mais_falha_no_primeiro_passo() {
    let report = server_only("02", "python3 eco.py linha-a-mais", 2000);
    assert_fails_at(&report, "uma-linha", "E-BYTES-A-MAIS");
    let note = &report.results[0].notes[0].text;
    assert!(
        note.contains(r#"1 byte(s) a mais depois dela: "\n""#),
        "{note}"
    );
}

/// A server that exits without replying while a child it forked keeps the
/// connection open: the step fails as soon as it exits, not at the 5 s deadline,
/// says so, and the child is taken down with it.
#[test]
fn servidor_que_sai_sem_responder_falha_na_hora() {
    // The child inherits the marker: no pid file, which the sandbox forbids.
    let marker = comum::marker("sai_deixando_filho");
    let command = format!("TOMADA_MARCA={marker} python3 sai_deixando_filho.py");
    let report = server_only("02", &command, 5000);
    assert_nothing_left(&marker);
    assert_fails_at(&report, "uma-linha", "E-PROGRAMA-TERMINOU");
    let step = &report.results[0];
    assert!(
        step.received
            .iter()
            .any(|l| l.contains("terminou com código 3 sem enviar uma linha")),
        "{}",
        comum::describe(&report)
    );
    assert_decided_at_once(&report, "uma-linha", "o servidor saiu");
}

/// A wrong byte deep inside the 70,000-byte line is located truthfully: counted
/// in the real bytes, and inside the placeholder that stands for them.
#[test]
fn byte_trocado_na_linha_longa_tem_a_posicao_verdadeira() {
    let report = server_only("02", "python3 eco.py troca-um-byte", 2000);
    assert_fails_at(&report, "linha-longa", "E-BYTES-DIFERENTES");
    let step = report
        .results
        .iter()
        .find(|r| r.step.id == "linha-longa")
        .unwrap();
    let note = &step
        .notes
        .iter()
        .find(|n| n.code == "E-BYTES-DIFERENTES")
        .unwrap()
        .text;
    // "Echo: " is 6 bytes: the 1,001st byte of the line is the 1,007th of the reply.
    assert!(
        note.contains("no byte 1007 (contando do 1) (o byte 1001 de <texto-6>"),
        "{note}"
    );
}

// ---- laboratório 03 (chat) ----------------------------------------------------

/// A chat server that never answers a nickname already in use: the first wait
/// of the step runs out, and then the step's other waits (the second prompt,
/// the welcome, the others' notices) take what is there without waiting the
/// whole deadline again. Before, each cost the full deadline.
#[test]
fn chat_mudo_no_apelido_em_uso_espera_o_prazo_uma_vez_so() {
    let report = server_only("03", "python3 chat.py cala-no-apelido-em-uso", 1000);
    assert_fails_at(&report, "apelido-em-uso", "E-SEM-RESPOSTA");
    let step = report
        .results
        .iter()
        .find(|r| r.step.id == "apelido-em-uso")
        .unwrap();
    assert!(
        step.elapsed < Duration::from_millis(1900),
        "{:?}",
        step.elapsed
    );
    assert!(
        step.received
            .iter()
            .any(|l| l.contains("não esperei de novo")),
        "{}",
        comum::describe(&report)
    );
}

/// A chat client that takes each `recv` as one message prints a message cut in
/// two lines when the grader's lines arrive in pieces: it fails `cliente-recebe`
/// with `E-SAIDA-PARTIDA`, at once. The same client joining bytes up to the
/// `\n` passes every client step: the pieces are no obstacle to a right client.
/// Lab 05 grades its client with the same steps: the same two clients.
#[test]
fn cliente_de_chat_que_le_por_recv_falha_na_mensagem_partida() {
    for (lab, seed) in [("03", 42), ("03", 7), ("03", 1234), ("05", 42)] {
        let lab = comum::lab(lab);
        let opts = Options {
            seed,
            ..comum::options(5000)
        };
        // The fixture lives with lab 03's; it is run from there for lab 05 too.
        let from_03 = |command: &str| {
            let mut target = comum::fixture(lab, None, Some(command));
            target.cmd_cwd = comum::root().join("tests/fixtures/03-chat");
            target
        };
        let broken = from_03("python3 cliente_recv.py");
        let (report, _) = comum::grade(lab, &broken, opts.clone());
        assert_fails_at(&report, "cliente-recebe", "E-SAIDA-PARTIDA");
        assert_decided_at_once(&report, "cliente-recebe", &format!("semente {seed}"));

        let right = from_03("python3 cliente_recv.py linhas");
        let (report, _) = comum::grade(lab, &right, opts);
        assert!(
            report.passed(),
            "semente {seed}: {}",
            comum::describe(&report)
        );
    }
}

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
    // The port is the cause: not "it stopped waiting" nor "it exited".
    let codes: Vec<&str> = comum::step(&report, "reinicio-mesma-porta")
        .notes
        .iter()
        .map(|n| n.code)
        .collect();
    assert_eq!(codes, ["E-PORTA-EM-USO"], "{}", comum::describe(&report));
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

// ---- escuta só em 127.0.0.1 (issue 10) -------------------------------------------

/// A lab 01 server bound to every interface (0.0.0.0) fails step 1 with the code
/// that says what that exposes, though the grader's own conversation works.
#[test]
fn servidor_em_todas_as_interfaces_falha_na_conexao() {
    let (failure, report) = broken_server("escuta_exposta.py", 3000);
    assert_eq!(
        failure,
        Some(("conecta", vec!["E-ESCUTA-EXPOSTA"])),
        "{}",
        comum::describe(&report)
    );
    let step = &report.results[0];
    assert!(
        step.received
            .iter()
            .any(|l| l.contains("escuta em 0.0.0.0:<porta> (todas as interfaces")),
        "{:?}",
        step.received
    );
    let note = &step.notes[0].text;
    assert!(
        note.contains("Wi-Fi") && note.contains("127.0.0.1"),
        "{note}"
    );
}

/// The same on `::` (IPv6, which with IPV6_V6ONLY off takes IPv4 too).
#[test]
fn servidor_em_todas_as_interfaces_ipv6_falha_na_conexao() {
    let (failure, report) = broken_server("escuta_exposta.py ipv6", 3000);
    assert_eq!(
        failure,
        Some(("conecta", vec!["E-ESCUTA-EXPOSTA"])),
        "{}",
        comum::describe(&report)
    );
    assert!(report.results[0].notes[0].text.contains("[::]:"));
}

/// The listener may belong to a child the program forked: the whole process
/// group is looked at.
#[test]
fn filho_em_todas_as_interfaces_falha_na_conexao() {
    let (failure, report) = broken_server("escuta_exposta.py filho", 3000);
    assert_eq!(
        failure,
        Some(("conecta", vec!["E-ESCUTA-EXPOSTA"])),
        "{}",
        comum::describe(&report)
    );
}

/// A server on 127.0.0.1:PORTA that also opens another port on 0.0.0.0 is just
/// as exposed: every listener of the program counts. Inside the sandbox the
/// second `bind` is already denied (only PORTA may be bound); the listen check
/// is what catches it where the kernel has no Landlock (simulated here with
/// `TOMADA_LANDLOCK_ABI=0`, in a grader process of its own).
#[test]
fn segunda_porta_em_todas_as_interfaces_falha_na_conexao() {
    let (failure, report) = broken_server("escuta_exposta.py segunda-porta", 3000);
    assert_eq!(
        failure.map(|f| f.0),
        Some("conecta"),
        "{}",
        comum::describe(&report)
    );
    if xtask::sandbox::support().network() {
        let denied = report.results[0]
            .outputs
            .iter()
            .any(|(_, text)| text.contains("Permission denied"));
        assert!(denied, "{}", comum::describe(&report));
    }

    let output = comum::xtask()
        .current_dir(comum::root().join("tests/fixtures/01-basico"))
        .env("TOMADA_LANDLOCK_ABI", "0")
        .args(["check", "01", "--step", "4", "--timeout", "3000"])
        .args(["--server-cmd", "python3 escuta_exposta.py segunda-porta"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("E-ESCUTA-EXPOSTA") && stdout.contains("0.0.0.0:"),
        "{stdout}"
    );
}

/// Every lab's first step checks it, not only lab 01's: an echo server on 0.0.0.0.
#[test]
fn eco_em_todas_as_interfaces_falha_no_primeiro_passo() {
    let report = server_only("02", "python3 eco.py todas-as-interfaces", 3000);
    assert_fails_at(&report, "uma-linha", "E-ESCUTA-EXPOSTA");
}

// ---- diagnósticos que apontam a causa certa (issue 10) -----------------------------

/// Runs a fixture client of lab 01 and returns the report.
fn broken_client(lab: &str, command: &str, timeout_ms: u64) -> xtask::check::Report {
    let lab = comum::lab(lab);
    comum::grade(
        lab,
        &comum::fixture(lab, None, Some(command)),
        comum::options(timeout_ms),
    )
    .0
}

/// The panic's own line, as the grader quotes it.
const PANIC_LINE: &str = "called `Result::unwrap()` on an `Err` value: ParseIntError";

/// A server that panics (exit code 101) before accepting is a panic, not a
/// server that "stopped waiting while there are clients" (E-SAIU-CEDO).
#[test]
fn servidor_em_panico_antes_do_accept_e_panico() {
    let (failure, report) = broken_server("panico.py antes-do-accept", 3000);
    assert_eq!(
        failure,
        Some(("conecta", vec!["E-PANICO"])),
        "{}",
        comum::describe(&report)
    );
    let note = &report.results[0].notes[0].text;
    assert!(
        note.contains(PANIC_LINE) && note.contains("panicked at"),
        "{note}"
    );
}

/// A panic after accept: E-PANICO with its line, not E-PROGRAMA-TERMINOU.
#[test]
fn servidor_em_panico_depois_do_accept_e_panico() {
    let (failure, report) = broken_server("panico.py depois-do-accept", 3000);
    let (step, codes) = failure.expect("deveria falhar");
    assert_eq!(step, "boas-vindas", "{}", comum::describe(&report));
    assert!(codes.contains(&"E-PANICO"), "{codes:?}");
    assert!(!codes.contains(&"E-PROGRAMA-TERMINOU"), "{codes:?}");
    let note = report.results[1]
        .notes
        .iter()
        .find(|n| n.code == "E-PANICO");
    assert!(note.unwrap().text.contains(PANIC_LINE));
}

/// A client that panics before connecting: E-PANICO, not E-CLIENTE-SAIU-CEDO.
#[test]
fn cliente_em_panico_antes_de_conectar_e_panico() {
    let report = broken_client("01", "python3 panico.py cliente", 3000);
    assert_eq!(
        comum::first_failure(&report),
        Some(("cliente-conecta", vec!["E-PANICO"])),
        "{}",
        comum::describe(&report)
    );
}

/// The lab 03 starter already has the queue and the writer thread: a learner
/// who follows its TODOs and blocks on a full queue (`send`, not `try_send`)
/// is told that first, and the other cause (writing under the lock) after.
#[test]
fn chat_com_send_na_fila_cheia_aponta_o_try_send() {
    let report = server_only("03", "python3 chat.py fila-com-send", 2000);
    assert_fails_at(&report, "cliente-lento", "E-CHAT-BLOQUEADO");
    let step = report
        .results
        .iter()
        .find(|r| r.step.id == "cliente-lento")
        .unwrap();
    let note = &step
        .notes
        .iter()
        .find(|n| n.code == "E-CHAT-BLOQUEADO")
        .unwrap()
        .text;
    let try_send = note.find("try_send").expect("o diagnóstico cita try_send");
    let socket = note.find("direto no socket").expect("e a outra causa");
    assert!(try_send < socket, "a causa provável vem primeiro: {note}");
    assert!(step.step.hint.contains("try_send"), "{}", step.step.hint);
}

/// An echo server that reads everything (up to EOF) before answering fails the
/// first line, and the diagnosis names `read_to_end`, not only "no reply".
#[test]
fn eco_que_le_ate_o_fim_aponta_o_read_to_end() {
    let report = server_only("02", "python3 eco.py le-ate-o-fim", 1000);
    assert_fails_at(&report, "uma-linha", "E-SEM-RESPOSTA");
    assert_fails_at(&report, "uma-linha", "E-ESPERA-EOF");
    let note = report.results[0]
        .notes
        .iter()
        .find(|n| n.code == "E-ESPERA-EOF")
        .unwrap();
    assert!(note.text.contains("read_to_end"), "{}", note.text);
}

/// A learner pastes the book's `servir` (which comes from the solution and
/// names `basico_solucao`) into the starter: the build fails, rustc suggests
/// `cargo add`, and the grader says which crate to name instead.
#[test]
fn trecho_do_livro_com_o_crate_da_solucao_e_explicado() {
    let copy = comum::workbook_copy("colado-do-livro");
    let file = copy.join("labs/01-basico/inicio/src/bin/servidor.rs");
    let code = std::fs::read_to_string(&file).unwrap();
    assert!(code.contains("basico_inicio::endereco()"));
    std::fs::write(
        &file,
        code.replace("basico_inicio::endereco()", "basico_solucao::endereco()"),
    )
    .unwrap();
    let lab = comum::lab("01");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = runtime
        .block_on(xtask::check::grade(
            &copy,
            lab,
            &xtask::check::Target::of(xtask::catalog::Variant::Starter),
            comum::options(2000),
            false,
            &mut || {},
            Box::new(|_| {}),
        ))
        .unwrap();
    let _ = std::fs::remove_dir_all(&copy);
    let errors = report.build_failure.as_deref().expect("não devia compilar");
    assert!(errors.contains("basico_solucao"), "{errors}");
    let advice = report
        .build_advice()
        .unwrap_or_else(|| panic!("sem explicação para:\n{errors}"));
    assert!(
        advice.contains("`basico_solucao::` por `basico_inicio::`"),
        "{advice}"
    );
}

/// The same Python servers that pass labs 03–05, bound to 0.0.0.0 instead of
/// 127.0.0.1 (and nothing else changed), fail each lab's step 1.
#[test]
fn servidores_em_todas_as_interfaces_falham_no_passo_1_de_cada_lab() {
    let fixtures = comum::root().join("tests/fixtures");
    for (lab, script) in [
        ("03", "03-chat/chat.py"),
        ("04", "04-robusto/robusto.py"),
        ("05", "03-chat/chat.py"),
    ] {
        let lab = comum::lab(lab);
        let command = format!("python3 todas_as_interfaces.py {script}");
        let mut target = comum::fixture(lab, Some(&command), None);
        target.cmd_cwd = fixtures.clone();
        let report = comum::grade(lab, &target, comum::options(3000)).0;
        assert_fails_at(&report, lab.steps[0].id, "E-ESCUTA-EXPOSTA");
    }
}
