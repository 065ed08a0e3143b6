//! Every step of lab 06 (UDP) shown able to fail: each deliberately broken program
//! in `tests/fixtures/06-udp/` passes the steps before its defect and fails exactly
//! the step that names it, with the code of the real cause, and leaves no process
//! behind. The correct Python programs pass every step of their side. And the bad
//! network replays its decisions under the same `--seed`.

mod comum;

use comum::{assert_fails_at, step};
use xtask::catalog::Role;
use xtask::check::Report;
use xtask::session::Status;

const FIXTURES: &str = "tests/fixtures/06-udp";

/// Grades `servidor_udp.py <mode>` as lab 06's server, marked.
fn broken_server(mode: &str, timeout_ms: u64) -> Report {
    let cwd = comum::root().join(FIXTURES);
    let command = format!("python3 servidor_udp.py {mode}");
    comum::grade_marked(comum::lab("06"), Role::Server, &cwd, &command, timeout_ms)
}

/// Grades `cliente_udp.py <mode>` as lab 06's client, marked.
fn broken_client(mode: &str, timeout_ms: u64) -> Report {
    let cwd = comum::root().join(FIXTURES);
    let command = format!("python3 cliente_udp.py {mode}");
    comum::grade_marked(comum::lab("06"), Role::Client, &cwd, &command, timeout_ms)
}

/// Grades a server and a client command together (both sides, the end-to-end
/// step included), marked so that no process of either may be left.
fn both(server_mode: &str, client_mode: &str, timeout_ms: u64) -> Report {
    let lab = comum::lab("06");
    let marker = comum::marker(&format!("06-ambos-{server_mode}-{client_mode}"));
    let server = format!("env TOMADA_MARCA={marker} python3 servidor_udp.py {server_mode}");
    let client = format!("env TOMADA_MARCA={marker} python3 cliente_udp.py {client_mode}");
    let mut target = comum::fixture(lab, Some(&server), Some(&client));
    target.cmd_cwd = comum::root().join(FIXTURES);
    let report = comum::grade(lab, &target, comum::options(timeout_ms)).0;
    comum::assert_nothing_left(&marker);
    report
}

/// Every step of `role` passed.
fn assert_side_passes(report: &Report, role: Role) {
    assert!(report.passed(), "{}", comum::describe(report));
    for r in report.results.iter().filter(|r| r.step.role == role) {
        assert_eq!(r.status, Status::Passed, "{}", comum::describe(report));
    }
}

// ---- o servidor ---------------------------------------------------------------

/// A correct server written another way (Python, bytes, no LRU) passes every
/// server step: the steps grade the protocol, not the solution's code.
#[test]
fn servidor_udp_em_python_passa() {
    assert_side_passes(&broken_server("", 2000), Role::Server);
}

/// Replies ending in `\n` (the TCP habit) fail the first step, named.
#[test]
fn servidor_com_quebra_de_linha_falha_em_soma() {
    let report = broken_server("com-quebra", 1000);
    assert_fails_at(&report, "soma", "E-UDP-QUEBRA-DE-LINHA");
}

/// A server that answers the first address it heard from, always, passes with
/// one client and fails with two: the reply meant for client 2 reaches client 1.
#[test]
fn servidor_de_endereco_fixo_falha_em_dois_clientes() {
    let report = broken_server("endereco-fixo", 1000);
    assert_fails_at(&report, "dois-clientes", "E-UDP-ENDERECO-ERRADO");
    // Decided when the reply reached the wrong socket, not at the deadline.
    assert!(step(&report, "dois-clientes").elapsed < std::time::Duration::from_millis(900));
}

/// Totals kept by IP alone merge two clients of one machine.
#[test]
fn servidor_que_separa_so_pelo_ip_falha_em_dois_clientes() {
    let report = broken_server("por-ip", 1000);
    assert_fails_at(&report, "dois-clientes", "E-UDP-MESMO-CLIENTE");
}

/// The tutorial's `recv(1024)`: a 65,000-byte datagram comes back cut.
#[test]
fn servidor_com_buffer_de_1024_falha_em_eco_grande() {
    let report = broken_server("buffer-1024", 1000);
    assert_fails_at(&report, "eco-grande", "E-UDP-TRUNCADO");
}

/// Decoding without handling the error: invalid UTF-8 kills the server.
#[test]
fn servidor_que_morre_no_utf8_falha_em_invalido() {
    let report = broken_server("morre-no-utf8", 1000);
    assert_fails_at(&report, "invalido", "E-PROGRAMA-TERMINOU");
}

/// A server that stays silent on what it does not understand.
#[test]
fn servidor_sem_erro_falha_em_invalido() {
    let report = broken_server("sem-erro", 1000);
    assert_fails_at(&report, "invalido", "E-UDP-SEM-RESPOSTA");
}

/// No memory of the last reply: a retransmission counts again.
#[test]
fn servidor_que_conta_duas_vezes_falha_em_retransmissao() {
    let report = broken_server("conta-duas-vezes", 1000);
    assert_fails_at(&report, "retransmissao", "E-UDP-CONTOU-DUAS-VEZES");
}

/// A delayed copy of an earlier request (a smaller seq) executed as new.
#[test]
fn servidor_que_atende_copia_atrasada_falha_em_retransmissao() {
    let report = broken_server("atende-atrasado", 1000);
    assert_fails_at(&report, "retransmissao", "E-UDP-CONTOU-DUAS-VEZES");
}

/// One variable for the sender's address, overwritten by each `recv_from` of a
/// batch: right one client at a time, wrong with fifty at once.
#[test]
fn servidor_de_um_endereco_so_falha_em_muitos_clientes() {
    let report = broken_server("ultimo-endereco", 1000);
    assert_fails_at(&report, "muitos-clientes", "E-UDP-ENDERECO-ERRADO");
}

/// Serving one client until it goes quiet: a client that never does stalls the rest.
#[test]
fn servidor_de_um_cliente_por_vez_falha_em_nao_bloqueia() {
    let report = broken_server("um-por-vez", 1000);
    assert_fails_at(&report, "nao-bloqueia", "E-UDP-TRAVOU");
}

// ---- o cliente ----------------------------------------------------------------

/// A correct client written another way passes every client step; through the
/// bad network, the grader plays the server.
#[test]
fn cliente_udp_em_python_passa() {
    assert_side_passes(&broken_client("", 2000), Role::Client);
}

/// Requests ending in `\n` fail the first client step, named.
#[test]
fn cliente_com_quebra_de_linha_falha_em_envia() {
    let report = broken_client("com-quebra", 1000);
    assert_fails_at(&report, "envia", "E-UDP-QUEBRA-DE-LINHA");
}

/// One try and then giving up: the dropped request is never sent again.
#[test]
fn cliente_sem_retransmissao_falha_em_perda() {
    let report = broken_client("sem-retransmissao", 1000);
    assert_fails_at(&report, "perda", "E-UDP-SEM-REENVIO");
}

/// A read without a timeout waits forever for the dropped request's reply.
#[test]
fn cliente_que_espera_para_sempre_falha_em_perda() {
    let report = broken_client("espera-para-sempre", 1000);
    assert_fails_at(&report, "perda", "E-UDP-SEM-REENVIO");
}

/// Retransmitting at a quarter of the timeout is too early.
#[test]
fn cliente_que_reenvia_cedo_falha_em_perda() {
    let report = broken_client("retransmite-cedo", 1000);
    assert_fails_at(&report, "perda", "E-UDP-REENVIO-CEDO");
}

/// Printing whatever datagram comes first shows the duplicate as the next reply.
#[test]
fn cliente_que_imprime_duplicatas_falha_em_duplicata() {
    let report = broken_client("imprime-duplicatas", 1000);
    assert_fails_at(&report, "duplicata", "E-UDP-IMPRIMIU-REPETIDA");
}

/// Skipping only a reply equal to the last one printed lets a stale one through.
#[test]
fn cliente_que_compara_o_texto_falha_em_fora_de_ordem() {
    let report = broken_client("descarta-repetida", 1000);
    assert_fails_at(&report, "fora-de-ordem", "E-UDP-IMPRIMIU-REPETIDA");
}

/// Without `connect`, a stranger's datagram with the right seq is printed.
#[test]
fn cliente_sem_connect_falha_em_estranho() {
    let report = broken_client("sem-connect", 1000);
    assert_fails_at(&report, "estranho", "E-UDP-ACEITOU-ESTRANHO");
}

/// Retransmitting forever instead of giving up after four sends.
#[test]
fn cliente_que_nunca_desiste_falha_em_sem_resposta() {
    let report = broken_client("nunca-desiste", 1000);
    assert_fails_at(&report, "sem-resposta", "E-UDP-ENVIOS");
}

// ---- de ponta a ponta ---------------------------------------------------------

/// A server that forgets its last reply after 100 ms, less than the client's
/// timeout, passes every direct step (retransmissions there come at once) and
/// counts twice through the bad network, where a lost reply brings the
/// retransmission 300 ms later. With the seed of `comum::options`, the network
/// loses replies in this run (a replay, whatever the machine's timing).
#[test]
fn servidor_de_memoria_curta_falha_em_rede_ruim() {
    let report = both("memoria-curta", "", 1000);
    assert_fails_at(&report, "rede-ruim", "E-UDP-CONTOU-DUAS-VEZES");
    for r in report.results.iter().filter(|r| r.step.id != "rede-ruim") {
        assert_eq!(r.status, Status::Passed, "{}", comum::describe(&report));
    }
}

/// `cargo xtask check 06 --seed N` twice: the bad network makes the same
/// decisions, datagram by datagram, in the same order (the `--verbose`
/// timeline, without its clock and ports).
#[test]
fn a_mesma_semente_repete_a_rede_ruim() {
    let decisions = |seed: &str| {
        let output = comum::xtask()
            .args(["check", "06", "--solution", "--verbose", "--seed", seed])
            .output()
            .expect("cargo xtask check");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stdout)
        );
        let timeline = String::from_utf8_lossy(&output.stderr).into_owned();
        let lines: Vec<String> = timeline
            .lines()
            .filter_map(|l| l.split_once("[rede ruim] "))
            .map(|(_, decision)| decision.to_owned())
            .filter(|d| d.contains('#'))
            .collect();
        assert!(lines.len() > 12, "poucas decisões: {timeline}");
        lines
    };
    let first = decisions("7");
    assert!(first.iter().any(|d| d.ends_with("perdido")), "{first:?}");
    assert_eq!(first, decisions("7"));
    assert_ne!(first, decisions("8"));
}
