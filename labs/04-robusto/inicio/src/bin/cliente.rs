//! Cliente echo robusto: o cliente do laboratório 02, que agora diz o que deu errado.
//! Lê linhas do teclado, envia cada uma ao servidor e imprime a resposta; `sair` (ou o
//! fim da entrada, Ctrl-D) encerra. Cada falha tem uma mensagem e um código de saída:
//! 2 quando ninguém aceita a conexão, 3 quando a resposta não chega no prazo, 4 quando
//! a conexão cai no meio da conversa e 1 para o resto.
//!
//! Rode o servidor primeiro; depois, em outro terminal, `cargo run --bin cliente`.
//! Avalie com `cargo xtask check 04` na raiz da apostila.

// Enquanto os TODO não forem feitos, parte do que está importado ainda não é usado.
#![allow(unused_imports, unused_variables, dead_code)]

use std::fmt;
use std::io::{self, BufRead, BufReader, ErrorKind, IsTerminal, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use robusto_inicio::{SAIDA_CONEXAO_PERDIDA, SAIDA_CONEXAO_RECUSADA, SAIDA_TEMPO_ESGOTADO};

// TODO (códigos de saída): crie um `enum Falha` com um caso para cada jeito de dar
//       errado (conexão recusada, tempo esgotado, conexão perdida, outra) e um
//       método que diz o código de saída de cada caso: as constantes `SAIDA_*` do
//       `lib.rs`, e 1 para "outra". Faça `conversar` devolver `Result<(), Falha>`.
// TODO (mensagens): implemente `fmt::Display` para `Falha`, com uma mensagem em
//       português para cada caso, que diga à pessoa o que verificar.

fn conversar() -> io::Result<()> {
    let endereco = robusto_inicio::endereco();
    let limite = robusto_inicio::tempo_limite();

    // TODO (conexão recusada): um erro de tipo `ErrorKind::ConnectionRefused` no
    //       `connect` vira a falha de código 2, com uma mensagem como
    //       "ninguém aceitou a conexão em 127.0.0.1:5000 (conexão recusada).
    //       O servidor está rodando?". Use `.map_err(...)` no lugar do `?` sozinho.
    let conexao = TcpStream::connect(endereco)?;
    // TODO (tempo esgotado): `conexao.set_read_timeout(Some(limite))`, para que um
    //       servidor calado não prenda o cliente para sempre.
    println!("Conectado ao servidor robusto em {endereco}");

    let mut escritor = conexao.try_clone()?;
    let mut leitor = BufReader::new(conexao);
    // O convite a digitar só faz sentido para uma pessoa, não para um programa.
    let interativo = io::stdin().is_terminal();

    let mut teclado = io::stdin().lock();
    loop {
        if interativo {
            print!("Digite uma mensagem (ou \"sair\" para terminar): ");
            io::stdout().flush()?;
        }
        let mut mensagem = String::new();
        // 0 bytes lidos: o fim da entrada (Ctrl-D, ou a entrada de outro programa acabou).
        if teclado.read_line(&mut mensagem)? == 0 {
            break;
        }
        let mensagem = mensagem.trim_end_matches(['\n', '\r']);
        if mensagem.eq_ignore_ascii_case("sair") {
            break;
        }
        // TODO (conexão perdida): um erro ao escrever (`BrokenPipe`, `ConnectionReset`)
        //       vira a falha de código 4.
        escritor.write_all(format!("{mensagem}\n").as_bytes())?;

        // TODO (tempo esgotado): ao ler a resposta, o erro do prazo
        //       (`ErrorKind::WouldBlock` ou `ErrorKind::TimedOut`) vira a falha de
        //       código 3.
        // TODO (conexão perdida): um reset (`ConnectionReset` e parecidos) vira a
        //       falha de código 4, e também uma resposta que termina sem `\n` (ou com
        //       0 bytes): o servidor fechou a conexão no meio da conversa, não é um
        //       `break`. `read_until(b'\n', ...)` num `Vec<u8>` mostra se o `\n` veio.
        let mut resposta = String::new();
        if leitor.read_line(&mut resposta)? == 0 {
            println!("O servidor fechou a conexão");
            break;
        }
        println!("Resposta: {}", resposta.trim_end_matches('\n'));
    }

    // Fecha a conexão nos dois sentidos: o servidor recebe o fim dos dados (EOF) e
    // encerra a conversa. É o socket que fecha, não só esta cópia (`try_clone`).
    escritor.shutdown(Shutdown::Both)?;
    println!("Conexão encerrada");
    Ok(())
}

fn main() -> ExitCode {
    match conversar() {
        Ok(()) => ExitCode::SUCCESS,
        Err(erro) => {
            // TODO (códigos de saída): com `Falha`, termine com
            //       `ExitCode::from(falha.codigo())` em vez de sempre 1.
            eprintln!("Erro: {erro}");
            ExitCode::FAILURE
        }
    }
}
