//! Servidor robusto: o servidor echo do laboratório 02, preparado para tudo o que dá
//! errado numa rede. Reinicia na mesma porta sem esperar, desconecta quem fica calado
//! além do prazo, responde o que falta quando o cliente fecha o lado dele, sobrevive a
//! quem some e, com SIGTERM ou Ctrl-C, avisa todos os clientes antes de terminar.
//!
//! Rode com `cargo run --bin servidor`; teste com `nc 127.0.0.1 5000`.
//! Avalie com `cargo xtask check 04` na raiz da apostila.
//!
//! O ponto de partida é a solução do laboratório 02, com o socket de escuta já
//! montado pela crate socket2: ele passa nos primeiros passos do corretor. Os
//! `// TODO` dizem o que falta para o resto, na ordem do capítulo "Dicas e boas
//! práticas"; o `main`, que recebe os últimos, fica no fim do arquivo.

// Enquanto os TODO não forem feitos, parte do que está importado ainda não é usado.
#![allow(unused_imports, unused_variables, dead_code)]

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, ErrorKind, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use socket2::{Domain, Protocol, Socket, Type};

/// Abre o socket de escuta, uma opção de cada vez: os mesmos passos do tutorial
/// em Python (`socket`, `setsockopt`, `bind`, `listen`).
fn escutar(endereco: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    // TODO (SO_REUSEADDR): o servidor derrubado com clientes conectados deixa as
    //       conexões dele em TIME_WAIT, e este `bind` recusa a porta ao reiniciar
    //       ("Address already in use"). Ligue a opção que resolve isso, antes do `bind`.
    socket.bind(&endereco.into())?;
    // O tamanho da fila de conexões completas que esperam o `accept`.
    socket.listen(1024)?;
    Ok(socket.into())
}

/// Conversa com um cliente até ele fechar a conexão.
fn atender(conexao: TcpStream, limite: Duration) -> io::Result<()> {
    let quem = conexao.peer_addr()?;
    println!("Conectado com {quem}");

    // TODO (tempo limite): ponha o prazo `limite` em cada leitura e em cada escrita
    //       desta conexão, antes de ler.
    let mut escritor = conexao.try_clone()?;
    let leitor = BufReader::new(conexao);
    // TODO (fechamento parcial): troque `lines()` por um laço com `read_until(b'\n', ...)`
    //       num `Vec<u8>`: ele devolve também o último pedaço sem `\n` e nunca falha
    //       por bytes que não são UTF-8 (converta com `String::from_utf8_lossy`, sem
    //       o `\n` e sem um `\r` final).
    for linha in leitor.lines() {
        // TODO (tempo esgotado): o erro do prazo (`ErrorKind::WouldBlock` no Unix,
        //       `ErrorKind::TimedOut` no Windows) não é um defeito: envie
        //       "Tempo esgotado\n" e encerre a conversa. Os outros erros continuam
        //       subindo com `?`.
        let linha = linha?;
        // A resposta inteira num só `write_all`: uma mensagem, uma escrita.
        let resposta = format!("Echo: {linha}\n");
        escritor.write_all(resposta.as_bytes())?;
    }

    // `lines()` terminou: o cliente fechou a conexão (EOF).
    println!("Cliente {quem} desconectou");
    Ok(())
}

fn main() -> ExitCode {
    let endereco = robusto_inicio::endereco();
    let limite = robusto_inicio::tempo_limite();

    // TODO (encerramento, sinais): antes de abrir a porta, passe a receber SIGTERM e
    //       SIGINT com a crate signal-hook, em vez de morrer com eles.

    let servidor = match escutar(endereco) {
        Ok(servidor) => servidor,
        Err(erro) => {
            eprintln!("Erro: não consegui escutar em {endereco}: {erro}");
            return ExitCode::FAILURE;
        }
    };
    println!("Servidor robusto escutando em {endereco}");

    // TODO (encerramento, esperar o sinal): leve este laço para uma thread própria;
    //       a thread principal fica livre para dormir até o primeiro sinal.
    // TODO (encerramento, registro): guarde cada cliente aceito num registro
    //       compartilhado, com uma marca de "encerrando"; o escritor de cada cliente
    //       fica atrás de um `Mutex`, para que um aviso nunca caia no meio de um echo.
    //       Quando a conversa acaba, o cliente sai do registro e a conexão é fechada
    //       com `shutdown`.
    for conexao in servidor.incoming() {
        match conexao {
            Ok(conexao) => {
                thread::spawn(move || {
                    // O erro de UM cliente encerra só a conversa com ele.
                    if let Err(erro) = atender(conexao, limite) {
                        eprintln!("Conversa encerrada com erro: {erro}");
                    }
                });
            }
            Err(erro) => eprintln!("accept falhou: {erro}"),
        }
    }
    // TODO (encerramento, despedida): quando o sinal chegar, ligue a marca, envie
    //       "Servidor encerrando\n" a cada cliente do registro e feche cada conexão,
    //       sem esperar mais que 500 ms por nenhum cliente; depois imprima
    //       `Servidor encerrando` e termine com `ExitCode::SUCCESS`.
    ExitCode::SUCCESS
}
