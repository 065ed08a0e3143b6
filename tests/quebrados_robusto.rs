//! Lab 04 (servidor robusto) against deliberately broken programs
//! (`tests/fixtures/04-robusto/`): each passes every step before its defect and
//! fails exactly the step that names it, with the diagnosis of the real cause;
//! a broken server leaves nothing running.

mod comum;

use comum::assert_fails_at;
use xtask::catalog::Role;
use xtask::check::Report;

/// Grades `robusto.py <variant>` as the server of lab 04, marked, and checks
/// that none of its processes is left.
fn broken_server(variant: &str, timeout_ms: u64) -> Report {
    let lab = comum::lab("04");
    let cwd = comum::root().join("tests/fixtures/04-robusto");
    let command = format!("python3 robusto.py {variant}");
    comum::grade_marked(lab, Role::Server, &cwd, &command, timeout_ms)
}

/// Grades `cliente.py <variant>` as the client of lab 04.
fn broken_client(variant: &str, timeout_ms: u64) -> Report {
    let lab = comum::lab("04");
    let cwd = comum::root().join("tests/fixtures/04-robusto");
    let command = format!("python3 cliente.py {variant}");
    comum::grade_marked(lab, Role::Client, &cwd, &command, timeout_ms)
}

// ---- servidor ------------------------------------------------------------------

/// A server that ignores PORTA and binds a port of its own is stopped by the
/// sandbox (it may bind only PORTA): the report says the isolation denied it,
/// in the program's own words, besides that it left before accepting.
#[test]
fn servidor_com_porta_fixa_ouve_do_isolamento() {
    let lab = comum::lab("04");
    let cwd = comum::root().join("tests/fixtures/04-robusto");
    let report = comum::grade_marked(
        lab,
        Role::Server,
        &cwd,
        "PORTA=5999 python3 robusto.py",
        3000,
    );
    assert_fails_at(&report, "eco", "E-ISOLAMENTO-NEGOU");
    let note = comum::step(&report, "eco")
        .notes
        .iter()
        .find(|n| n.code == "E-ISOLAMENTO-NEGOU")
        .unwrap();
    assert!(
        note.text.contains("5999") && note.text.contains("PORTA"),
        "{}",
        note.text
    );
}

/// A server that talks to one client at a time never answers the last of fifty
/// connected clients: "muitos-clientes" fails, saying no reply came.
#[test]
fn robusto_um_por_vez_falha_com_muitos_clientes() {
    let report = broken_server("um-por-vez", 1500);
    assert_fails_at(&report, "muitos-clientes", "E-SEM-RESPOSTA");
}

/// Answering each `recv` as a whole line sends one `Echo: ` per trickled byte:
/// "um-byte-por-vez" fails as a fragmented echo.
#[test]
fn robusto_que_responde_cada_leitura_falha_no_byte_por_vez() {
    let report = broken_server("cada-leitura", 1500);
    assert_fails_at(&report, "um-byte-por-vez", "E-ECO-FRAGMENTADO");
}

/// Dropping the last piece without `\n` at EOF: "meia-conexao" fails, the reply
/// cut short of its last line.
#[test]
fn robusto_que_esquece_o_fim_falha_na_meia_conexao() {
    let report = broken_server("esquece-o-fim", 1500);
    assert_fails_at(&report, "meia-conexao", "E-MENSAGEM-INCOMPLETA");
}

/// A reset from one client taking the whole server down: "desconexoes" fails,
/// saying the server exited when it should keep serving.
#[test]
fn robusto_que_morre_no_reset_falha_nas_desconexoes() {
    let report = broken_server("morre-no-reset", 1500);
    assert_fails_at(&report, "desconexoes", "E-PROGRAMA-TERMINOU");
}

/// SIGTERM handled but SIGINT left to its default: the Ctrl-C step fails,
/// saying the server died of the signal.
#[test]
fn robusto_que_morre_no_ctrl_c_falha_no_encerramento() {
    let report = broken_server("morre-no-sigint", 2000);
    assert_fails_at(&report, "encerra-no-ctrl-c", "E-SEM-ENCERRAMENTO");
}

// ---- cliente -------------------------------------------------------------------

/// `connect(...).unwrap()`: with no server the client panics instead of saying
/// `Erro: ...` and exiting with 2.
#[test]
fn cliente_que_entra_em_panico_falha_na_conexao_recusada() {
    let report = broken_client("panico-ao-conectar", 3000);
    assert_fails_at(&report, "cliente-recusado", "E-PANICO");
}

/// Without a read timeout the client waits for a mute server forever:
/// "cliente-tempo-esgotado" fails, the client still running at the deadline.
#[test]
fn cliente_sem_tempo_limite_falha_no_servidor_mudo() {
    let report = broken_client("sem-tempo-limite", 3000);
    assert_fails_at(&report, "cliente-tempo-esgotado", "E-NAO-TERMINOU");
}

/// `lines().next().unwrap()`: when the server closes mid-conversation the
/// client panics instead of saying `Erro: ...` and exiting with 4.
#[test]
fn cliente_que_entra_em_panico_falha_quando_o_servidor_cai() {
    let report = broken_client("panico-sem-resposta", 3000);
    assert_fails_at(&report, "cliente-servidor-caiu", "E-PANICO");
}

/// Lab 02's way out (a notice on stdout, exit code 0) when the server closes
/// mid-conversation: "cliente-servidor-caiu" fails, naming the exit code.
#[test]
fn cliente_que_sai_com_zero_falha_quando_o_servidor_cai() {
    let report = broken_client("servidor-caiu-e-zero", 3000);
    assert_fails_at(&report, "cliente-servidor-caiu", "E-CODIGO-DE-SAIDA");
}
