//! Cliente básico: conecta ao servidor, lê tudo o que ele enviar até fechar a
//! conexão e imprime a mensagem.
//!
//! Rode o servidor primeiro; depois, em outro terminal, `cargo run --bin cliente`.
//! Avalie com `cargo xtask check 01` na raiz da apostila.

use std::process::ExitCode;

fn main() -> ExitCode {
    match conversar() {
        Ok(()) => ExitCode::SUCCESS,
        Err(erro) => {
            eprintln!("Erro no cliente: {erro}");
            ExitCode::FAILURE
        }
    }
}

fn conversar() -> std::io::Result<()> {
    // O endereço já vem pronto: 127.0.0.1 e a porta de `PORTA` (ou 5000).
    let endereco = basico_inicio::endereco();

    // TODO: conecte ao servidor com `std::net::TcpStream::connect(endereco)`.
    // TODO: leia tudo até o servidor fechar a conexão, com `read_to_end` num `Vec<u8>`
    //       (precisa de `use std::io::Read;`). Um único `read` pode trazer só um pedaço!
    // TODO: imprima a mensagem recebida, por exemplo `Mensagem recebida: ...`.

    println!("O cliente ainda não foi escrito: veja os TODO em src/bin/cliente.rs ({endereco}).");
    Ok(())
}
