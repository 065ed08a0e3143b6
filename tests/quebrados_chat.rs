//! Every step of the chat (lab 03, and lab 05 where it repeats lab 03's) shown
//! able to fail: a deliberately broken program from `tests/fixtures/03-chat/`
//! passes every step before it and fails exactly that one, with the code that
//! names its defect, and leaves no process behind.

mod comum;

use comum::{assert_fails_at, step};
use xtask::catalog::Role;
use xtask::check::Report;

/// Grades `script` (a file of `tests/fixtures/03-chat/` and its arguments) as the
/// server or the client of `lab`, marked; checks that none of its processes is
/// left. The fixtures live with lab 03's; lab 05 runs them from there too.
fn run_fixture(lab: &str, role: Role, script: &str, timeout_ms: u64) -> Report {
    let cwd = comum::root().join("tests/fixtures/03-chat");
    let command = format!("python3 {script}");
    comum::grade_marked(comum::lab(lab), role, &cwd, &command, timeout_ms)
}

// ---- servidor ------------------------------------------------------------------

/// A server that never announces who joined fails "entrada-anunciada": the
/// member already in the room waits for the notice in vain. Lab 05 grades its
/// server with the same step, and fails it the same way.
#[test]
fn chat_sem_aviso_de_entrada_falha_na_entrada_anunciada() {
    for lab in ["03", "05"] {
        let report = run_fixture(lab, Role::Server, "chat.py sem-aviso-de-entrada", 1000);
        assert_fails_at(&report, "entrada-anunciada", "E-SEM-RESPOSTA");
    }
}

/// A server that announces a leave only on EOF passes "saida-limpa" and fails
/// "saida-abrupta": a client dropped with a reset leaves without a notice.
#[test]
fn chat_que_cala_na_queda_falha_na_saida_abrupta() {
    let report = run_fixture("03", Role::Server, "chat.py cala-na-queda", 1000);
    assert_fails_at(&report, "saida-abrupta", "E-SEM-RESPOSTA");
}

/// A server that refuses empty nicknames and nicknames with a space, but not
/// one of 33 characters, fails "apelido-invalido": it welcomes the long one
/// where `ERRO: <motivo>` was due.
#[test]
fn chat_que_aceita_apelido_longo_falha_no_apelido_invalido() {
    let report = run_fixture("03", Role::Server, "chat.py aceita-apelido-longo", 1000);
    assert_fails_at(&report, "apelido-invalido", "E-BYTES-DIFERENTES");
    let received = &step(&report, "apelido-invalido").received;
    assert!(
        received
            .iter()
            .any(|l| l == r#"[cliente 6] ← "Conectado ao servidor!\n""#),
        "{received:?}"
    );
}

/// A server that serves its clients from a fixed pool of 8 threads passes the
/// small steps (never more than 4 clients at once) and fails "vinte-clientes":
/// the ninth client is never asked its nickname, and the diagnosis says so and
/// points to the pool. Before, this step failed with no code at all. Lab 05,
/// which repeats the step, says the same.
#[test]
fn chat_com_pool_de_8_threads_falha_nos_vinte_clientes() {
    for lab in ["03", "05"] {
        let report = run_fixture(lab, Role::Server, "chat.py pool-de-8-threads", 1000);
        assert_fails_at(&report, "vinte-clientes", "E-SEM-RESPOSTA");
        let step = step(&report, "vinte-clientes");
        assert!(
            step.received
                .iter()
                .any(|l| l.starts_with("[cliente 9] não conseguiu entrar como pessoa08")),
            "{}",
            comum::describe(&report)
        );
        let note = &step.notes[0].text;
        assert!(
            note.contains("Com 8 clientes na sala") && note.contains("pool fixo"),
            "{note}"
        );
    }
}

/// A server that reads the conversation's lines without a limit fails
/// "linha-grande-demais": it passes the 70 KiB line on and keeps its sender.
#[test]
fn chat_sem_limite_de_linha_falha_na_linha_grande_demais() {
    let report = run_fixture("03", Role::Server, "chat.py sem-limite-de-linha", 1000);
    assert_fails_at(&report, "linha-grande-demais", "E-NAO-FECHOU");
}

// ---- cliente -------------------------------------------------------------------

/// A client that sends its nickname without the `\n` fails "cliente-apelido":
/// the grader, as the server, waits for the end of the line.
#[test]
fn cliente_que_envia_apelido_sem_quebra_falha_no_apelido() {
    let report = run_fixture(
        "03",
        Role::Client,
        "cliente_recv.py apelido-sem-quebra",
        1000,
    );
    assert_fails_at(&report, "cliente-apelido", "E-SEM-RESPOSTA");
    // And what did come is named: the line without its last byte.
    let (_, codes) = comum::first_failure(&report).expect("falhou");
    assert!(codes.contains(&"E-MENSAGEM-INCOMPLETA"), "{codes:?}");
}

/// A client that prints the server's `ERRO: ...` and quits, instead of asking
/// for another nickname, passes the other client steps and fails
/// "cliente-apelido-em-uso", named as a client that ended.
#[test]
fn cliente_que_desiste_no_erro_falha_no_apelido_em_uso() {
    let report = run_fixture("03", Role::Client, "cliente_recv.py desiste-no-erro", 1000);
    assert_fails_at(&report, "cliente-apelido-em-uso", "E-PROGRAMA-TERMINOU");
}
