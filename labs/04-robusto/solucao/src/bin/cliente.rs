//! Cliente echo robusto: o cliente do laboratório 02, que agora diz o que deu errado.
//! Lê linhas do teclado, envia cada uma ao servidor e imprime a resposta; `sair` (ou o
//! fim da entrada, Ctrl-D) encerra. Cada falha tem uma mensagem e um código de saída:
//! 2 quando ninguém aceita a conexão, 3 quando a resposta não chega no prazo, 4 quando
//! a conexão cai no meio da conversa e 1 para o resto.
//!
//! Rode o servidor primeiro; depois, em outro terminal, `cargo run --bin cliente`.

// ANCHOR: usos
use std::fmt;
use std::io::{self, BufRead, BufReader, ErrorKind, IsTerminal, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use robusto_solucao::{SAIDA_CONEXAO_PERDIDA, SAIDA_CONEXAO_RECUSADA, SAIDA_TEMPO_ESGOTADO};
// ANCHOR_END: usos

// ANCHOR: falha
/// Por que a conversa acabou mal. Cada caso leva a um código de saída diferente, para
/// quem roda o cliente (uma pessoa, um script, o corretor) saber o que houve.
#[derive(Debug)]
enum Falha {
    /// Ninguém escuta no endereço: o servidor não está no ar, ou está em outra porta.
    Recusada(SocketAddr),
    /// O servidor não respondeu dentro do prazo.
    TempoEsgotado(Duration),
    /// O servidor fechou a conexão (`None`: chegou o EOF) ou ela se rompeu (`Some`).
    Perdida(Option<io::Error>),
    /// Qualquer outra coisa, com o que o cliente estava fazendo quando falhou.
    Outra(String, io::Error),
}

impl Falha {
    /// O código de saída do programa para esta falha.
    fn codigo(&self) -> u8 {
        match self {
            Falha::Recusada(_) => SAIDA_CONEXAO_RECUSADA,
            Falha::TempoEsgotado(_) => SAIDA_TEMPO_ESGOTADO,
            Falha::Perdida(_) => SAIDA_CONEXAO_PERDIDA,
            Falha::Outra(..) => 1,
        }
    }
}
// ANCHOR_END: falha

// ANCHOR: mensagens
impl fmt::Display for Falha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Falha::Recusada(endereco) => write!(
                f,
                "ninguém aceitou a conexão em {endereco} (conexão recusada). \
                 O servidor está rodando?"
            ),
            Falha::TempoEsgotado(limite) => write!(
                f,
                "tempo esgotado: o servidor não respondeu em {} ms",
                limite.as_millis()
            ),
            Falha::Perdida(None) => write!(
                f,
                "conexão perdida: o servidor fechou a conexão sem responder"
            ),
            Falha::Perdida(Some(erro)) => {
                write!(
                    f,
                    "conexão perdida: a conexão caiu no meio da conversa ({erro})"
                )
            }
            Falha::Outra(contexto, erro) => write!(f, "{contexto}: {erro}"),
        }
    }
}
// ANCHOR_END: mensagens

// ANCHOR: na-conexao
/// Classifica o erro de uma leitura ou escrita no socket.
fn na_conexao(erro: io::Error, limite: Duration) -> Falha {
    match erro.kind() {
        // O prazo do `set_read_timeout`: `WouldBlock` no Unix, `TimedOut` no Windows.
        ErrorKind::WouldBlock | ErrorKind::TimedOut => Falha::TempoEsgotado(limite),
        // O outro lado derrubou a conexão (reset) ou já a tinha fechado quando
        // escrevemos (broken pipe).
        ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::BrokenPipe
        | ErrorKind::NotConnected
        | ErrorKind::UnexpectedEof => Falha::Perdida(Some(erro)),
        _ => Falha::Outra("a conexão falhou".to_owned(), erro),
    }
}
// ANCHOR_END: na-conexao

// ANCHOR: main
fn main() -> ExitCode {
    match conversar() {
        Ok(()) => ExitCode::SUCCESS,
        Err(falha) => {
            eprintln!("Erro: {falha}");
            ExitCode::from(falha.codigo())
        }
    }
}
// ANCHOR_END: main

fn conversar() -> Result<(), Falha> {
    let endereco = robusto_solucao::endereco();
    let limite = robusto_solucao::tempo_limite();

    // ANCHOR: conectar
    let conexao = TcpStream::connect(endereco).map_err(|erro| match erro.kind() {
        ErrorKind::ConnectionRefused => Falha::Recusada(endereco),
        _ => Falha::Outra(format!("não consegui conectar em {endereco}"), erro),
    })?;
    // Sem prazo, um servidor que aceita e nunca responde deixaria o cliente parado
    // para sempre num `read`.
    conexao
        .set_read_timeout(Some(limite))
        .map_err(|erro| Falha::Outra("não consegui definir o prazo".to_owned(), erro))?;
    // ANCHOR_END: conectar
    println!("Conectado ao servidor robusto em {endereco}");

    let mut escritor = conexao
        .try_clone()
        .map_err(|erro| Falha::Outra("não consegui copiar o socket".to_owned(), erro))?;
    let mut leitor = BufReader::new(conexao);
    // O convite a digitar só faz sentido para uma pessoa, não para um programa.
    let interativo = io::stdin().is_terminal();
    let teclado_falhou = |erro| Falha::Outra("não consegui ler o teclado".to_owned(), erro);

    // ANCHOR: laco
    let mut teclado = io::stdin().lock();
    loop {
        if interativo {
            print!("Digite uma mensagem (ou \"sair\" para terminar): ");
            io::stdout().flush().map_err(teclado_falhou)?;
        }
        let mut mensagem = String::new();
        // 0 bytes lidos: o fim da entrada (Ctrl-D, ou a entrada de outro programa acabou).
        if teclado.read_line(&mut mensagem).map_err(teclado_falhou)? == 0 {
            break;
        }
        let mensagem = mensagem.trim_end_matches(['\n', '\r']);
        if mensagem.eq_ignore_ascii_case("sair") {
            break;
        }
        escritor
            .write_all(format!("{mensagem}\n").as_bytes())
            .map_err(|erro| na_conexao(erro, limite))?;

        // ANCHOR: resposta
        let mut resposta = Vec::new();
        leitor
            .read_until(b'\n', &mut resposta)
            .map_err(|erro| na_conexao(erro, limite))?;
        // Sem `\n` no fim, a conexão acabou antes de a resposta chegar inteira (com 0
        // bytes, antes mesmo de começar): o servidor fechou a conexão.
        if !resposta.ends_with(b"\n") {
            return Err(Falha::Perdida(None));
        }
        let resposta = String::from_utf8_lossy(&resposta);
        println!("Resposta: {}", resposta.trim_end_matches('\n'));
        // ANCHOR_END: resposta
    }
    // ANCHOR_END: laco

    // ANCHOR: encerrar
    // Avisa o servidor que acabou. Se ele já fechou a conexão, o `shutdown` pode
    // falhar, e não faz diferença: a conversa acabou bem do nosso lado.
    let _ = escritor.shutdown(Shutdown::Both);
    println!("Conexão encerrada");
    // ANCHOR_END: encerrar
    Ok(())
}
