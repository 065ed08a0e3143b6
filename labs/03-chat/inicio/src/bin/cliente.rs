//! Cliente de chat: pede o apelido, conecta e usa duas threads: a principal lê o
//! teclado e envia; a outra imprime tudo o que chega do servidor.
//!
//! Rode o servidor primeiro; depois, em vários terminais, `cargo run --bin cliente`.
//! Avalie com `cargo xtask check 03` na raiz da apostila.

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
    let endereco = chat_inicio::endereco();

    // TODO: leia o apelido do teclado (uma linha de `io::stdin()`).
    // TODO: conecte a `endereco` e responda "APELIDO" com o apelido; se vier
    //       "ERRO: ...", imprima e leia outro apelido; pare em "Conectado ao servidor!"
    //       (imprima essa linha).
    // TODO: crie uma thread que imprime cada linha que chega do servidor.
    // TODO: na thread principal, envie cada linha digitada (o servidor põe o seu nome);
    //       no fim da entrada ou em "sair", feche a conexão e imprima "Conexão encerrada".

    println!("O cliente ainda não foi escrito: veja os TODO em src/bin/cliente.rs ({endereco}).");
    Ok(())
}
