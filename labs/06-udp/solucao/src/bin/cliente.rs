//! Cliente do contador por UDP: lê `soma 5`, `eco oi` ou `sair` do teclado, envia
//! cada pedido num datagrama com o próximo número de sequência e imprime a resposta
//! como `Resposta: <resposta>`. Se a resposta não vem no prazo, reenvia; depois de
//! quatro tentativas sem resposta, desiste com o código 3.
//!
//! Rode o servidor primeiro; depois, em outro terminal, `cargo run --bin cliente`.

// ANCHOR: usos
use std::io::{self, BufRead, IsTerminal, Write};
use std::net::{Ipv4Addr, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};
// ANCHOR_END: usos

// ANCHOR: constantes
/// Um envio e até três reenvios.
const TENTATIVAS: u32 = 4;
/// Cabe qualquer resposta: o maior datagrama UDP.
const TAMANHO_MAXIMO: usize = 65_535;
// ANCHOR_END: constantes

/// Como a conversa terminou.
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
    let endereco = udp_solucao::endereco();
    let prazo = udp_solucao::tempo_resposta();

    // ANCHOR: connect
    // Porta 0: o sistema escolhe uma livre. O `connect` de um socket UDP não envia
    // nada: fixa o destino de `send` e faz o sistema descartar datagramas vindos
    // de qualquer outro endereço.
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
    socket.connect(endereco)?;
    // ANCHOR_END: connect
    println!(
        "Pedidos para {endereco} por UDP (prazo de {} ms)",
        prazo.as_millis()
    );

    let interativo = io::stdin().is_terminal();
    let mut teclado = io::stdin().lock();
    let mut buffer = vec![0u8; TAMANHO_MAXIMO];
    let mut seq = 0;
    // ANCHOR: laco
    loop {
        if interativo {
            print!("Digite soma <n>, eco <texto> ou sair: ");
            io::stdout().flush()?;
        }
        let mut linha = String::new();
        if teclado.read_line(&mut linha)? == 0 {
            return Ok(Fim::Normal); // o fim da entrada (Ctrl-D)
        }
        let linha = linha.trim_end_matches(['\n', '\r']);
        let (comando, resto) = linha.split_once(' ').unwrap_or((linha, ""));
        let pedido = match comando.to_lowercase().as_str() {
            "sair" => return Ok(Fim::Normal),
            "" => continue,
            "soma" => format!("{} SOMA {}", seq + 1, resto.trim()),
            "eco" => format!("{} ECO {resto}", seq + 1),
            _ => {
                eprintln!("Não entendi {comando:?}: use soma <n>, eco <texto> ou sair");
                continue;
            }
        };
        seq += 1;
        match pedir(&socket, &pedido, seq, prazo, &mut buffer)? {
            Some(resposta) => println!("Resposta: {resposta}"),
            None => return Ok(Fim::SemResposta),
        }
    }
    // ANCHOR_END: laco
}

// ANCHOR: pedir
/// Envia `pedido` e espera a resposta com o mesmo `seq`, reenviando quando o prazo
/// de uma tentativa acaba. `None`: nenhuma das tentativas teve resposta.
fn pedir(
    socket: &UdpSocket,
    pedido: &str,
    seq: u64,
    prazo: Duration,
    buffer: &mut [u8],
) -> io::Result<Option<String>> {
    for _ in 0..TENTATIVAS {
        socket.send(pedido.as_bytes())?;
        // O prazo vale para a tentativa inteira: um datagrama que não serve
        // (repetido, atrasado) não dá mais tempo a ela.
        let limite = Instant::now() + prazo;
        while let Some(resta) = tempo_ate(limite) {
            socket.set_read_timeout(Some(resta))?;
            match socket.recv(buffer) {
                Ok(tamanho) => {
                    let resposta = String::from_utf8_lossy(&buffer[..tamanho]);
                    if seq_de(&resposta) == Some(seq) {
                        return Ok(Some(resposta.into_owned()));
                    }
                    // A resposta repetida ou atrasada de um pedido anterior: ignora.
                }
                // O prazo acabou (`WouldBlock` no Linux e no macOS, `TimedOut` no Windows).
                Err(erro)
                    if matches!(
                        erro.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break;
                }
                // O aviso (ICMP) de que ninguém escuta na porta do servidor: é como se
                // a resposta não viesse; espera o resto do prazo e tenta de novo.
                Err(erro) if erro.kind() == io::ErrorKind::ConnectionRefused => {}
                Err(erro) => return Err(erro),
            }
        }
    }
    Ok(None)
}
// ANCHOR_END: pedir

/// Quanto falta até `limite`, ou `None` se ele já passou (`set_read_timeout` não
/// aceita um prazo zero).
fn tempo_ate(limite: Instant) -> Option<Duration> {
    limite
        .checked_duration_since(Instant::now())
        .filter(|resta| !resta.is_zero())
}

// ANCHOR: seq
/// O número de sequência no começo de uma resposta: `"7 TOTAL 12"` dá `Some(7)`.
fn seq_de(resposta: &str) -> Option<u64> {
    resposta.split(' ').next()?.parse().ok()
}
// ANCHOR_END: seq
