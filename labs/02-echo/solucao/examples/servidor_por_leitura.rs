//! O servidor echo do tutorial em Python, traduzido ao pé da letra: cada `read` de
//! até 1024 bytes é tratado como uma mensagem inteira e respondido com `Echo: `.
//!
//! **Não copie este servidor.** Ele existe para comparação: `cargo xtask bench`
//! mede, lado a lado, quantas linhas por segundo ele e a solução do laboratório 02
//! respondem, e quantas dessas respostas saem certas. Com linhas curtas, digitadas
//! uma de cada vez, ele parece funcionar; com linhas longas, ou várias linhas
//! chegando juntas, as respostas saem tortas, porque o TCP entrega bytes, não
//! mensagens (veja o capítulo "Servidor echo").
//!
//! Rode com `cargo run -p echo-solucao --example servidor_por_leitura`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;

fn main() -> ExitCode {
    let endereco = echo_solucao::endereco();
    let servidor = match TcpListener::bind(endereco) {
        Ok(servidor) => servidor,
        Err(erro) => {
            eprintln!("Erro: não consegui escutar em {endereco}: {erro}");
            return ExitCode::FAILURE;
        }
    };
    println!("Servidor echo (uma leitura = uma mensagem) escutando em {endereco}");
    // Uma thread por cliente, como a solução: a comparação fica só no que conta
    // como mensagem.
    for conexao in servidor.incoming().flatten() {
        thread::spawn(move || atender(conexao));
    }
    ExitCode::SUCCESS
}

/// O laço do tutorial: `recv(1024)`, e o que vier é "a mensagem".
fn atender(mut conexao: TcpStream) {
    let mut buffer = [0u8; 1024];
    loop {
        let lidos = match conexao.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(lidos) => lidos,
        };
        let mensagem = String::from_utf8_lossy(&buffer[..lidos]);
        let resposta = format!("Echo: {mensagem}");
        if conexao.write_all(resposta.as_bytes()).is_err() {
            return;
        }
    }
}
