//! Servidor echo: atende um cliente depois do outro, para sempre, e responde cada
//! linha com `Echo: <linha>`. Um cliente que some, educadamente ou não, não derruba
//! o servidor.
//!
//! Rode com `cargo run --bin servidor`; teste com `nc 127.0.0.1 5000`.
//! Avalie com `cargo xtask check 02` na raiz da apostila.

use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;

fn main() -> ExitCode {
    let endereco = echo_inicio::endereco();
    let servidor = match TcpListener::bind(endereco) {
        Ok(servidor) => servidor,
        Err(erro) => {
            eprintln!("Erro: não consegui escutar em {endereco}: {erro}");
            return ExitCode::FAILURE;
        }
    };
    println!("Servidor echo escutando em {endereco}");

    // Os TODO seguem a ordem do capítulo: comece pelo 1, em `atender`, mais abaixo.
    // TODO 2 (seção "Um cliente depois do outro"): aceite conexões num laço
    //       (`servidor.incoming()`), para sempre, e chame `atender` para cada uma. Se
    //       `atender` devolver erro, mostre-o com `eprintln!` e continue: o erro de um
    //       cliente não pode derrubar o servidor.
    // TODO 3 (bônus, seção "Dois clientes ao mesmo tempo"): atenda cada cliente numa
    //       thread (`std::thread::spawn`), para que dois clientes possam conversar ao
    //       mesmo tempo.
    let _ = servidor;
    println!("O servidor ainda não foi escrito: veja os TODO em src/bin/servidor.rs.");
    ExitCode::SUCCESS
}

/// Conversa com um cliente até ele fechar a conexão.
#[allow(dead_code)] // apague esta linha quando o laço do `main` chamar `atender`
fn atender(conexao: TcpStream) -> std::io::Result<()> {
    // TODO 1 (seção "Uma linha de cada vez"): crie um escritor com
    //       `conexao.try_clone()?` e um leitor com `std::io::BufReader::new(conexao)`.
    //       Para cada linha de `leitor.lines()` (precisa de `use std::io::BufRead;`),
    //       responda `Echo: <linha>\n` com um único `write_all`.
    //       Cuidado: um `read` pode trazer meia linha, ou várias. `lines()` resolve.
    let _ = conexao;
    Ok(())
}
