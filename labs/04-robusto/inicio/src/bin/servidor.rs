//! Servidor robusto: o servidor echo do laboratório 02, preparado para tudo o que dá
//! errado numa rede. Reinicia na mesma porta sem esperar, desconecta quem fica calado
//! além do prazo, responde o que falta quando o cliente fecha o lado dele, sobrevive a
//! quem some e, com SIGTERM ou Ctrl-C, avisa todos os clientes antes de terminar.
//!
//! Rode com `cargo run --bin servidor`; teste com `nc 127.0.0.1 5000`.
//! Avalie com `cargo xtask check 04` na raiz da apostila.
//!
//! O ponto de partida é a solução do laboratório 02: ele já passa nos primeiros
//! passos do corretor. Os `// TODO` dizem o que falta para o resto.

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

fn main() -> ExitCode {
    let endereco = robusto_inicio::endereco();
    let limite = robusto_inicio::tempo_limite();

    // TODO (encerramento): antes de abrir a porta, registre os sinais com
    //       `Signals::new([SIGTERM, SIGINT])` (um erro aqui: mensagem `Erro: ...` e
    //       `ExitCode::FAILURE`).

    let servidor = match escutar(endereco) {
        Ok(servidor) => servidor,
        Err(erro) => {
            eprintln!("Erro: não consegui escutar em {endereco}: {erro}");
            return ExitCode::FAILURE;
        }
    };
    println!("Servidor robusto escutando em {endereco}");

    // TODO (encerramento): leve este laço para uma thread (`thread::spawn`) e, na
    //       thread principal, espere o primeiro sinal com `sinais.forever().next()`.
    //       Guarde cada cliente aceito num registro compartilhado, por exemplo
    //       `Arc<Mutex<HashMap<u64, Arc<Mutex<TcpStream>>>>>`, com uma marca de
    //       "encerrando" ao lado; quem escreve num cliente segura o `Mutex` dele, e um
    //       aviso nunca cai no meio de um eco. Quando o sinal chegar:
    //       - ligue a marca (quem for aceito depois recebe "Servidor encerrando\n" e é
    //         fechado logo);
    //       - envie "Servidor encerrando\n" a cada cliente do registro e feche a conexão
    //         com `shutdown(Shutdown::Both)`, sem ficar à mercê de nenhum: espere o
    //         cadeado de cada um numa thread própria, com um prazo total (500 ms, com
    //         `mpsc::channel` e `recv_timeout`), e chame `set_nonblocking(true)` antes
    //         de escrever o aviso;
    //       - imprima `Servidor encerrando` e devolva `ExitCode::SUCCESS`.
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
    ExitCode::SUCCESS
}

/// Abre o socket de escuta.
fn escutar(endereco: SocketAddr) -> io::Result<TcpListener> {
    // TODO (SO_REUSEADDR): monte o socket com a crate socket2, uma opção de cada vez:
    //       `Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?`, depois
    //       `set_reuse_address(true)?` (antes do bind: é o que deixa reiniciar o
    //       servidor com a porta ainda em TIME_WAIT), `bind(&endereco.into())?` e
    //       `listen(1024)?`; `Ok(socket.into())` o converte num `TcpListener`.
    TcpListener::bind(endereco)
}

/// Conversa com um cliente até ele fechar a conexão.
fn atender(conexao: TcpStream, limite: Duration) -> io::Result<()> {
    let quem = conexao.peer_addr()?;
    println!("Conectado com {quem}");

    // TODO (tempo limite): antes de ler, `conexao.set_read_timeout(Some(limite))?`.
    //       Troque o `lines()` por um laço com `leitor.read_until(b'\n', &mut linha)`
    //       num `Vec<u8>`, convertendo a linha com `String::from_utf8_lossy` (sem o
    //       `\n` e sem um `\r` final), para que bytes inválidos não encerrem a conversa.
    //       - `Ok(0)`: o cliente fechou; termine.
    //       - linha sem `\n` no fim: é o último pedaço antes do EOF (meia conexão);
    //         responda `Echo: <pedaço>\n` e termine.
    //       - `Err` de tipo `ErrorKind::WouldBlock` ou `ErrorKind::TimedOut`: o prazo
    //         acabou sem chegar nada; envie "Tempo esgotado\n" e feche com
    //         `shutdown(Shutdown::Both)`.
    //       - qualquer outro `Err` (um reset, por exemplo): devolva-o com `?`.
    let mut escritor = conexao.try_clone()?;
    let leitor = BufReader::new(conexao);
    for linha in leitor.lines() {
        let linha = linha?;
        // A resposta inteira num só `write_all`: uma mensagem, uma escrita.
        let resposta = format!("Echo: {linha}\n");
        escritor.write_all(resposta.as_bytes())?;
    }

    // `lines()` terminou: o cliente fechou a conexão (EOF).
    println!("Cliente {quem} desconectou");
    Ok(())
}
