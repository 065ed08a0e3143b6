//! Cliente echo: lê linhas do teclado, envia cada uma ao servidor e imprime a
//! resposta. `sair` (ou o fim da entrada, Ctrl-D) encerra a conexão.
//!
//! Rode o servidor primeiro; depois, em outro terminal, `cargo run --bin cliente`.
//! Avalie com `cargo xtask check 02` na raiz da apostila.

use std::io;
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

fn conversar() -> io::Result<()> {
    let endereco = echo_inicio::endereco();

    // TODO: conecte com `TcpStream::connect(endereco)` e separe um escritor
    //       (`try_clone`) de um leitor com buffer (`BufReader`).
    // TODO: num laço, leia uma linha do teclado (`io::stdin().read_line`):
    //       - 0 bytes lidos (fim da entrada) ou a linha `sair`: saia do laço;
    //       - senão, envie a linha terminada em `\n`, leia a resposta até o `\n`
    //         (`read_line` no leitor) e imprima `Resposta: <resposta sem o \n>`.
    // TODO: ao sair do laço, feche a conexão com `shutdown` (seção "Sair" do capítulo)
    //       e imprima `Conexão encerrada`.

    println!("O cliente ainda não foi escrito: veja os TODO em src/bin/cliente.rs ({endereco}).");
    Ok(())
}
