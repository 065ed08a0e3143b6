//! Cliente do contador por UDP: lê `soma 5`, `eco oi` ou `sair` do teclado, envia
//! cada pedido num datagrama com o próximo número de sequência e imprime a resposta
//! como `Resposta: <resposta>`. Se a resposta não vem no prazo, reenvia; depois de
//! quatro tentativas sem resposta, desiste com o código 3.
//!
//! Rode o servidor primeiro; depois, em outro terminal, `cargo run --bin cliente`.
//! Avalie com `cargo xtask check 06` na raiz da apostila.
//!
//! Os TODO continuam a numeração do servidor, na ordem do capítulo.

use std::io;
use std::net::UdpSocket;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Um envio e até três reenvios.
#[allow(dead_code)] // apague esta linha quando `pedir` usar a constante
const TENTATIVAS: u32 = 4;
/// Cabe qualquer resposta: o maior datagrama UDP.
const TAMANHO_MAXIMO: usize = 65_535;

/// Como a conversa terminou.
#[allow(dead_code)] // apague esta linha quando `conversar` devolver `SemResposta`
enum Fim {
    /// `sair` ou o fim da entrada.
    Normal,
    /// Um pedido ficou sem resposta depois de todas as tentativas.
    SemResposta,
}

fn main() -> ExitCode {
    match conversar() {
        Ok(Fim::Normal) => ExitCode::SUCCESS,
        Ok(Fim::SemResposta) => {
            eprintln!("Erro: sem resposta do servidor");
            ExitCode::from(3)
        }
        Err(erro) => {
            eprintln!("Erro no cliente: {erro}");
            ExitCode::FAILURE
        }
    }
}

fn conversar() -> io::Result<Fim> {
    let endereco = udp_inicio::endereco();
    let prazo = udp_inicio::tempo_resposta();
    let mut buffer = vec![0u8; TAMANHO_MAXIMO];

    // TODO 9: crie o socket com `UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))` (a porta 0
    //         deixa o sistema escolher) e fixe o servidor como destino com
    //         `socket.connect(endereco)`.
    // TODO 10: num laço, leia uma linha do teclado. `sair` ou o fim da entrada
    //          terminam (`Ok(Fim::Normal)`); `soma <n>` vira o pedido `<seq> SOMA <n>`
    //          e `eco <texto>` vira `<seq> ECO <texto>`, com seq = 1, 2, 3...
    // TODO 11: envie cada pedido com `pedir`. `Some(resposta)`: imprima
    //          `Resposta: <resposta>`; `None`: devolva `Ok(Fim::SemResposta)`.
    let _ = (prazo, &mut buffer);
    println!("O cliente ainda não foi escrito: veja os TODO em src/bin/cliente.rs ({endereco}).");
    Ok(Fim::Normal)
}

/// Envia `pedido` e espera a resposta com o mesmo `seq`, reenviando quando o prazo
/// de uma tentativa acaba. `None`: nenhuma das tentativas teve resposta.
#[allow(dead_code)] // apague esta linha quando `conversar` chamar `pedir`
fn pedir(
    socket: &UdpSocket,
    pedido: &str,
    seq: u64,
    prazo: Duration,
    buffer: &mut [u8],
) -> io::Result<Option<String>> {
    // TODO 12: envie o pedido (`socket.send`) e espere a resposta com
    //          `socket.set_read_timeout(Some(...))` e `socket.recv(buffer)`. Quando o
    //          prazo acaba (`ErrorKind::WouldBlock` ou `TimedOut`), envie de novo:
    //          `TENTATIVAS` envios ao todo, e então `Ok(None)`.
    // TODO 13: uma resposta com outro seq (veja `seq_de`) é repetida ou atrasada:
    //          ignore-a e continue esperando, sem dar mais prazo à tentativa
    //          (`tempo_ate` diz quanto falta).
    let _ = (socket, pedido, seq, prazo, buffer);
    Ok(None)
}

/// Quanto falta até `limite`, ou `None` se ele já passou (`set_read_timeout` não
/// aceita um prazo zero).
#[allow(dead_code)] // apague esta linha quando `pedir` usar a função
fn tempo_ate(limite: Instant) -> Option<Duration> {
    limite
        .checked_duration_since(Instant::now())
        .filter(|resta| !resta.is_zero())
}

/// O número de sequência no começo de uma resposta: `"7 TOTAL 12"` dá `Some(7)`.
#[allow(dead_code)] // apague esta linha quando `pedir` usar a função
fn seq_de(resposta: &str) -> Option<u64> {
    resposta.split(' ').next()?.parse().ok()
}
