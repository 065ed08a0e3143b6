//! Servidor echo: atende um cliente depois do outro, para sempre, e responde cada
//! linha com `Echo: <linha>`. Um cliente que some, educadamente ou não, não derruba
//! o servidor.
//!
//! Rode com `cargo run --bin servidor`; teste com `nc 127.0.0.1 5000`.

// ANCHOR: usos
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
// ANCHOR_END: usos

// ANCHOR: main
fn main() -> ExitCode {
    let endereco = echo_solucao::endereco();
    let servidor = match TcpListener::bind(endereco) {
        Ok(servidor) => servidor,
        Err(erro) => {
            eprintln!("Erro: não consegui escutar em {endereco}: {erro}");
            return ExitCode::FAILURE;
        }
    };
    println!("Servidor echo escutando em {endereco}");

    // ANCHOR: laco
    // Cada conexão aceita é atendida numa thread própria, e o laço volta logo ao
    // `accept`: um cliente lento não faz o próximo esperar (o passo bônus).
    for conexao in servidor.incoming() {
        match conexao {
            Ok(conexao) => {
                thread::spawn(move || {
                    // ANCHOR: um-cliente
                    // O erro de UM cliente encerra só a conversa com ele.
                    if let Err(erro) = atender(conexao) {
                        eprintln!("Conversa encerrada com erro: {erro}");
                    }
                    // ANCHOR_END: um-cliente
                });
            }
            Err(erro) => eprintln!("accept falhou: {erro}"),
        }
    }
    // ANCHOR_END: laco
    ExitCode::SUCCESS
}
// ANCHOR_END: main

// ANCHOR: atender
/// Conversa com um cliente até ele fechar a conexão.
fn atender(conexao: TcpStream) -> std::io::Result<()> {
    let quem = conexao.peer_addr()?;
    println!("Conectado com {quem}");

    // ANCHOR: dividir
    // Um lado para ler (com buffer, para achar as quebras de linha) e um para
    // escrever: `try_clone` dá um segundo identificador para o mesmo socket.
    let mut escritor = conexao.try_clone()?;
    let leitor = BufReader::new(conexao);
    // ANCHOR_END: dividir

    // ANCHOR: linhas
    // `lines()` junta os pedaços que chegam até achar um `\n`, não importa em
    // quantas leituras a linha veio. Bytes que não são UTF-8 viram um erro, que
    // encerra esta conversa (e só ela).
    for linha in leitor.lines() {
        let linha = linha?;
        // A resposta inteira num só `write_all`: uma mensagem, uma escrita. Três
        // escritas pequenas seguidas (`Echo: `, a linha, o `\n`) esbarrariam no
        // algoritmo de Nagle, e cada resposta poderia atrasar uns 40 ms.
        let resposta = format!("Echo: {linha}\n");
        escritor.write_all(resposta.as_bytes())?;
    }
    // ANCHOR_END: linhas

    // `lines()` terminou: o cliente fechou a conexão (EOF).
    println!("Cliente {quem} desconectou");
    Ok(())
}
// ANCHOR_END: atender
