//! Lab 08 (HTTP): a correct server written another way passes every server
//! step, and each deliberately broken one in `tests/fixtures/08-http/` passes
//! the steps before its defect and fails exactly the step that names it, with
//! the code of the real cause, leaving no process behind.

mod comum;

use comum::assert_fails_at;
use xtask::catalog::Role;
use xtask::check::Report;
use xtask::session::Status;

/// Grades `servidor_http.py <mode>` as lab 08's server, marked.
fn server(mode: &str) -> Report {
    let lab = comum::lab("08");
    let cwd = comum::root().join("tests/fixtures/08-http");
    let command = format!("python3 servidor_http.py {mode}");
    comum::grade_marked(lab, Role::Server, &cwd, &command, 5000)
}

/// The Python server without defects passes every server step, curl and the
/// browser included (or skips those two where they are not installed): the
/// steps do not ask for the solution's own way of writing it.
#[test]
fn http_em_python_passa() {
    let report = server("");
    assert!(report.passed(), "{}", comum::describe(&report));
    for r in report
        .results
        .iter()
        .filter(|r| r.step.role == Role::Server)
    {
        let skipped_tool = r.status == Status::Skipped && matches!(r.step.id, "curl" | "navegador");
        assert!(
            r.status == Status::Passed || skipped_tool,
            "{}",
            comum::describe(&report)
        );
    }
}

/// Without `Content-Length` (the body ends when the connection closes) the
/// first step still passes, and `cabecalhos` names what is missing.
#[test]
fn sem_content_length_falha_em_cabecalhos() {
    let report = server("sem-content-length");
    assert_fails_at(&report, "cabecalhos", "E-HTTP-SEM-CONTENT-LENGTH");
}

/// A server that closes after every response, though HTTP/1.1 keeps the
/// connection, passes everything that asked to close and fails `keep-alive`.
#[test]
fn fecha_sempre_falha_no_keep_alive() {
    let report = server("fecha-sempre");
    assert_fails_at(&report, "keep-alive", "E-HTTP-FECHOU-CEDO");
}

/// A server that joins the decoded target to its folder as it comes serves the
/// secret beside the folder: `fora-da-pasta` catches it (the sandbox lets the
/// server read that folder on purpose, so the defect is not hidden).
#[test]
fn confia_no_ponto_ponto_falha_fora_da_pasta() {
    let report = server("confia-no-ponto-ponto");
    assert_fails_at(&report, "fora-da-pasta", "E-HTTP-FORA-DA-PASTA");
}
