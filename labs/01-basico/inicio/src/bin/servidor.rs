//! Servidor básico: escuta em 127.0.0.1, aceita UMA conexão, envia as boas-vindas,
//! fecha a conexão e termina.
//!
//! Rode com `cargo run --bin servidor` (porta 5000) ou `PORTA=6000 cargo run --bin servidor`.
//! Avalie com `cargo xtask check 01` na raiz da apostila.

use std::process::ExitCode;

fn main() -> ExitCode {
    match servir() {
        Ok(()) => ExitCode::SUCCESS,
        Err(erro) => {
            eprintln!("Erro no servidor: {erro}");
            ExitCode::FAILURE
        }
    }
}

fn servir() -> std::io::Result<()> {
    // O endereço já vem pronto: 127.0.0.1 e a porta de `PORTA` (ou 5000).
    let endereco = basico_inicio::endereco();

    // TODO: crie um `std::net::TcpListener` vinculado a `endereco` com `TcpListener::bind`.
    // TODO: espere UM cliente com `accept()`; ele devolve a conexão e o endereço do cliente.
    // TODO: envie os bytes de "Bem-vindo ao servidor!" (sem quebra de linha) com `write_all`
    //       (precisa de `use std::io::Write;`).
    // TODO: feche a conexão (`drop`) e termine, devolvendo `Ok(())`.

    println!("O servidor ainda não foi escrito: veja os TODO em src/bin/servidor.rs ({endereco}).");
    Ok(())
}
