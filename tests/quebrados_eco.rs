//! Every step of lab 02 (echo) shown able to fail: each deliberately broken
//! program in `tests/fixtures/02-echo/` passes the steps before its defect and
//! fails exactly the step that names it, with the code of the real cause, and a
//! broken server leaves no process behind.

mod comum;

use std::time::Duration;

use comum::{assert_fails_at, step};
use xtask::catalog::Role;
use xtask::check::Report;
use xtask::session::Status;

/// Grades `eco.py <mode>` as lab 02's server, marked, and checks that none of
/// its processes is left.
fn broken_server(mode: &str, timeout_ms: u64) -> Report {
    let lab = comum::lab("02");
    let cwd = comum::root().join("tests/fixtures/02-echo");
    let command = format!("python3 eco.py {mode}");
    comum::grade_marked(lab, Role::Server, &cwd, &command, timeout_ms)
}

/// Grades `cliente_eco.py <mode>` as lab 02's client, marked the same way.
fn broken_client(mode: &str, timeout_ms: u64) -> Report {
    let lab = comum::lab("02");
    let cwd = comum::root().join("tests/fixtures/02-echo");
    let command = format!("python3 cliente_eco.py {mode}");
    comum::grade_marked(lab, Role::Client, &cwd, &command, timeout_ms)
}

/// A failing step whose outcome an event had already decided (a closed
/// connection, an exit) reports at once, not at the 5 s deadline. The bound is
/// generous: the machine may be busy, and the failure path gives a crashing
/// program 500 ms to finish writing its error.
fn assert_decided_at_once(report: &Report, id: &str) {
    let elapsed = step(report, id).elapsed;
    assert!(
        elapsed < Duration::from_millis(2000),
        "{id}: {elapsed:?} para decidir o que já estava decidido"
    );
}

/// The program's standard error, as the report shows it, contains `text`.
fn assert_stderr_shows(report: &Report, id: &str, text: &str) {
    let outputs = &step(report, id).outputs;
    assert!(
        outputs
            .iter()
            .any(|(label, out)| label.contains("stderr") && out.contains(text)),
        "{text:?} ausente em {outputs:?}"
    );
}

// ---- o servidor ---------------------------------------------------------------

/// A server without the loop over the lines (it answers one line and closes)
/// passes the first line and fails `varias-linhas`: the connection closed early.
#[test]
fn eco_de_uma_resposta_falha_em_varias_linhas() {
    let report = broken_server("uma-resposta", 5000);
    assert_fails_at(&report, "varias-linhas", "E-CONEXAO-FECHADA");
    assert_decided_at_once(&report, "varias-linhas");
}

/// A server that decodes each line as UTF-8 and lets the error end `main`
/// passes the byte-by-byte line (decoded whole) and fails `utf8-invalido`.
#[test]
fn eco_que_morre_no_utf8_invalido_falha_nele() {
    let report = broken_server("utf8-estrito", 5000);
    assert_fails_at(&report, "utf8-invalido", "E-PROGRAMA-TERMINOU");
    assert_stderr_shows(&report, "utf8-invalido", "can't decode byte 0xff");
    assert_decided_at_once(&report, "utf8-invalido");
}

/// A server that survives bad bytes but lets a reset or a broken pipe end the
/// whole program fails `desconexao-abrupta`.
#[test]
fn eco_que_morre_no_reset_falha_na_desconexao_abrupta() {
    let report = broken_server("morre-no-reset", 5000);
    assert_fails_at(&report, "desconexao-abrupta", "E-PROGRAMA-TERMINOU");
    assert_stderr_shows(&report, "desconexao-abrupta", "Connection reset by peer");
    assert_decided_at_once(&report, "desconexao-abrupta");
}

/// A server that serves one client at a time passes every required step and
/// fails the bonus `simultaneos`: the run still counts as passed.
#[test]
fn eco_de_um_por_vez_falha_so_no_bonus() {
    let report = broken_server("um-por-vez", 1000);
    assert_fails_at(&report, "simultaneos", "E-SEM-RESPOSTA");
    assert!(report.passed(), "{}", comum::describe(&report));
}

// ---- o cliente ----------------------------------------------------------------

/// The correct Python client passes every client step (the broken ones below
/// differ from it by one defect each).
#[test]
fn cliente_eco_em_python_passa() {
    let report = broken_client("", 5000);
    assert!(report.passed(), "{}", comum::describe(&report));
    for r in report
        .results
        .iter()
        .filter(|r| r.step.role == xtask::catalog::Role::Client)
    {
        assert_eq!(r.status, Status::Passed, "{}", comum::describe(&report));
    }
}

/// A client without a loop (one line, one reply, the end) fails `cliente-varias`
/// at once. Which event tells comes down to timing: the grader types the next
/// line while the client is exiting. Typed before the exit, the line is never
/// sent and the client's socket closes (`E-CONEXAO-FECHADA`); typed after it,
/// the keyboard is already gone (`E-CLIENTE-NAO-LE`). Both name the cause: the
/// client stopped after one line.
#[test]
fn cliente_sem_laco_falha_em_cliente_varias() {
    let report = broken_client("uma-vez", 5000);
    let (failed, codes) = comum::first_failure(&report)
        .unwrap_or_else(|| panic!("não falhou: {}", comum::describe(&report)));
    let code = if codes.contains(&"E-CLIENTE-NAO-LE") {
        "E-CLIENTE-NAO-LE"
    } else {
        "E-CONEXAO-FECHADA"
    };
    assert_eq!(failed, "cliente-varias", "{}", comum::describe(&report));
    assert_fails_at(&report, "cliente-varias", code);
    assert_decided_at_once(&report, "cliente-varias");
}

/// A client that sends "sair" to the server instead of leaving fails
/// `cliente-sair`, and the extra bytes named are the word itself.
#[test]
fn cliente_que_envia_sair_falha_em_cliente_sair() {
    let report = broken_client("envia-sair", 1000);
    assert_fails_at(&report, "cliente-sair", "E-BYTES-A-MAIS");
    let notes = &step(&report, "cliente-sair").notes;
    assert!(
        notes
            .iter()
            .any(|n| n.code == "E-BYTES-A-MAIS" && n.text.contains(r#""sair\n""#)),
        "{notes:?}"
    );
}

/// A client that treats the end of its input as an empty line (an unchecked
/// `Ok(0)` from `read_line`) fails `cliente-fim-da-entrada`.
#[test]
fn cliente_que_ignora_o_fim_da_entrada_falha_nele() {
    let report = broken_client("fim-envia-vazio", 1000);
    assert_fails_at(&report, "cliente-fim-da-entrada", "E-NAO-TERMINOU");
}
