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

/// Grades `cliente_http.py <mode> URL` as lab 08's client, marked (the grader
/// appends the URL).
fn client(mode: &str) -> Report {
    let lab = comum::lab("08");
    let cwd = comum::root().join("tests/fixtures/08-http");
    let command = format!("python3 cliente_http.py {mode}");
    comum::grade_marked(lab, Role::Client, &cwd, &command, 3000)
}

/// The first failing step is `step_id`, every earlier step of its side passed,
/// and the golden line holding `line` is what did not come: where a step has
/// no diagnosis of its own, the transcript's difference is the verdict.
fn assert_differs_at(report: &Report, step_id: &str, line: &str) {
    let (failed, _) = comum::first_failure(report)
        .unwrap_or_else(|| panic!("não falhou: {}", comum::describe(report)));
    assert_eq!(failed, step_id, "{}", comum::describe(report));
    let result = comum::step(report, step_id);
    assert!(
        result.expected.iter().any(|l| l.contains(line))
            && !result.received.iter().any(|l| l.contains(line)),
        "{line:?} deveria faltar no recebido: {}",
        comum::describe(report)
    );
    for earlier in report
        .results
        .iter()
        .take_while(|r| r.step.id != step_id)
        .filter(|r| r.step.role == result.step.role)
    {
        assert_eq!(
            earlier.status,
            Status::Passed,
            "{}",
            comum::describe(report)
        );
    }
}

/// Ignoring `Connection: close`, the server keeps waiting for a next request:
/// the very first step says it should have closed.
#[test]
fn nunca_fecha_falha_em_get_e_fecha() {
    let report = server("nunca-fecha");
    assert_fails_at(&report, "get-e-fecha", "E-HTTP-NAO-FECHOU");
}

/// `/docs/` is served by its index, `/docs` (no slash) is not: `pasta-e-index`.
#[test]
fn pasta_sem_barra_falha_em_pasta_e_index() {
    let report = server("pasta-sem-barra");
    assert_differs_at(&report, "pasta-e-index", "[cliente 7] ← HTTP/1.1 200 OK");
}

/// A missing file answered 200 with nothing in it fails `nao-encontrado`.
#[test]
fn sem_404_falha_em_nao_encontrado() {
    let report = server("sem-404");
    assert_differs_at(
        &report,
        "nao-encontrado",
        "[cliente 8] ← HTTP/1.1 404 Not Found",
    );
}

/// `%20` and `%C3%A7` taken literally find no file: `percent-encoding`.
#[test]
fn sem_decodificar_falha_em_percent_encoding() {
    let report = server("sem-decodificar");
    assert_differs_at(
        &report,
        "percent-encoding",
        "[cliente 10] ← HTTP/1.1 200 OK",
    );
}

/// A 405 without `Allow` fails `metodo-nao-permitido`, on that very header.
#[test]
fn sem_allow_falha_em_metodo_nao_permitido() {
    let report = server("sem-allow");
    assert_differs_at(&report, "metodo-nao-permitido", "Allow: GET, HEAD");
}

/// A malformed request line answered 404 instead of 400: `pedido-malformado`.
#[test]
fn malformado_404_falha_em_pedido_malformado() {
    let report = server("malformado-404");
    assert_differs_at(
        &report,
        "pedido-malformado",
        "[cliente 15] ← HTTP/1.1 400 Bad Request",
    );
}

/// Lines of any length are read: a 9 KiB target gets 404, not 414 (`limites`).
#[test]
fn sem_limites_falha_em_limites() {
    let report = server("sem-limites");
    assert_fails_at(&report, "limites", "E-BYTES-DIFERENTES");
    assert_differs_at(&report, "limites", "414 URI Too Long");
}

/// The correct Python client passes every client step.
#[test]
fn cliente_http_em_python_passa() {
    let report = client("");
    assert!(report.passed(), "{}", comum::describe(&report));
}

/// Reading to the end of the connection despite `Content-Length` waits
/// forever on a kept-alive connection: `cliente-get`, the client never ends.
#[test]
fn cliente_que_le_ate_fechar_falha_em_cliente_get() {
    let report = client("le-ate-fechar");
    assert_fails_at(&report, "cliente-get", "E-NAO-TERMINOU");
}

/// Without `Content-Length` it reads no body: `cliente-ate-fechar`.
#[test]
fn cliente_so_content_length_falha_em_cliente_ate_fechar() {
    let report = client("so-content-length");
    assert_differs_at(&report, "cliente-ate-fechar", "] imprimiu \"primeira");
}

/// A body shorter than announced printed as complete, code 0:
/// `cliente-corpo-cortado`.
#[test]
fn cliente_que_nao_confere_o_tamanho_falha_em_cliente_corpo_cortado() {
    let report = client("nao-confere-tamanho");
    assert_differs_at(&report, "cliente-corpo-cortado", "terminou com código 4");
}
