//! Every step of lab 07 (file transfer) shown able to fail: the Python server
//! and client in `tests/fixtures/07-arquivos/` take a mode that plants one
//! defect, pass the steps before it and fail exactly the step that names it,
//! with the code of the real cause; nothing of theirs is left running.

mod comum;

use comum::assert_fails_at;
use xtask::catalog::Role;
use xtask::check::Report;

fn broken(role: Role, program: &str, mode: &str) -> Report {
    let lab = comum::lab("07");
    let cwd = comum::root().join("tests/fixtures/07-arquivos");
    let command = format!("python3 {program} {mode}");
    comum::grade_marked(lab, role, &cwd, &command, 2000)
}

fn server(mode: &str) -> Report {
    broken(Role::Server, "servidor.py", mode)
}

fn client(mode: &str) -> Report {
    broken(Role::Client, "cliente.py", mode)
}

/// The fixtures themselves are sound: without a defect, every step passes.
#[test]
fn sem_defeito_os_programas_em_python_passam() {
    for report in [server("correto"), client("correto")] {
        assert!(report.passed(), "{}", comum::describe(&report));
    }
}

// ---- o servidor ---------------------------------------------------------------

/// Reading the file until the connection ends never answers a client that waits.
#[test]
fn ler_ate_o_eof_sem_fechar_falha_em_enviar() {
    assert_fails_at(&server("ate-eof-total"), "enviar", "E-LE-ATE-EOF");
}

#[test]
fn um_byte_a_mais_depois_do_arquivo_falha_em_baixar() {
    assert_fails_at(&server("byte-a-mais"), "baixar", "E-BYTES-A-MAIS");
}

#[test]
fn lista_fora_de_ordem_falha_em_listar() {
    assert_fails_at(&server("desordenado"), "listar", "E-BYTES-DIFERENTES");
}

/// One `recv` taken as the whole header: fine while it comes in one piece.
#[test]
fn um_recv_como_cabecalho_falha_no_cabecalho_picado() {
    assert_fails_at(&server("um-recv"), "cabecalho-picado", "E-BYTES-DIFERENTES");
}

/// The first broken server: the whole file in memory.
#[test]
fn arquivo_inteiro_na_memoria_falha_em_grande() {
    assert_fails_at(&server("na-memoria"), "grande", "E-ARQUIVO-NA-MEMORIA");
}

/// Writes in place: a cut upload leaves half a file under its name.
#[test]
fn escrever_no_nome_final_falha_no_corte() {
    assert_fails_at(&server("no-lugar"), "corte", "E-ARQUIVO-PELA-METADE");
}

/// Reads until EOF instead of `tamanho`: a short upload is stored as if whole.
#[test]
fn aceitar_menos_que_o_tamanho_falha_em_tamanho_mente() {
    assert_fails_at(
        &server("ate-eof"),
        "tamanho-mente",
        "E-TAMANHO-NAO-CONFERIDO",
    );
}

/// Trusts `..` and `/`: the sandbox denies the write outside, and the names
/// that lead back into the folder are accepted.
#[test]
fn confiar_no_nome_falha_em_caminho() {
    assert_fails_at(&server("confia"), "caminho", "E-CAMINHO-ACEITO");
}

#[test]
fn fechar_no_json_quebrado_falha_em_json_ruim() {
    assert_fails_at(&server("json-fecha"), "json-ruim", "E-CONEXAO-FECHADA");
}

#[test]
fn uma_conexao_de_cada_vez_falha_em_simultaneos() {
    assert_fails_at(&server("um-de-cada-vez"), "simultaneos", "E-UM-DE-CADA-VEZ");
}

// ---- o cliente ----------------------------------------------------------------

#[test]
fn mandar_o_caminho_como_nome_falha_em_cliente_enviar() {
    assert_fails_at(
        &client("caminho-inteiro"),
        "cliente-enviar",
        "E-BYTES-DIFERENTES",
    );
}

#[test]
fn baixar_ate_o_eof_falha_em_cliente_baixar() {
    assert_fails_at(&client("ate-eof"), "cliente-baixar", "E-LE-ATE-EOF");
}

#[test]
fn imprimir_o_json_falha_em_cliente_listar() {
    let report = client("json-cru");
    let (failed, _) = comum::first_failure(&report).expect("falhou");
    assert_eq!(failed, "cliente-listar", "{}", comum::describe(&report));
}

#[test]
fn recusa_com_codigo_zero_falha_em_cliente_recusado() {
    let report = client("recusa-calada");
    let (failed, _) = comum::first_failure(&report).expect("falhou");
    assert_eq!(failed, "cliente-recusado", "{}", comum::describe(&report));
}

/// The server closes mid-download: the client that wrote in place leaves a piece.
#[test]
fn gravar_no_destino_falha_em_cliente_corte() {
    assert_fails_at(
        &client("no-lugar"),
        "cliente-corte",
        "E-ARQUIVO-PELA-METADE",
    );
}

#[test]
fn traceback_sem_servidor_falha_em_cliente_sem_servidor() {
    assert_fails_at(
        &client("traceback"),
        "cliente-sem-servidor",
        "E-PROGRAMA-TERMINOU",
    );
}
