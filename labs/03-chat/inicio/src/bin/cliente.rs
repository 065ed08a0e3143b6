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

    // TODO (teclado): uma função que lê uma linha do teclado sem o `\n` e diz quando
    //       a entrada acabou; leia com ela o apelido, antes de conectar.
    // TODO (apelido): conecte a `endereco` e responda cada "APELIDO" com o apelido; se
    //       vier "ERRO: ...", imprima a linha e leia outro apelido; em
    //       "Conectado ao servidor!", imprima a linha e siga.
    // TODO (receber): crie uma thread que imprime cada linha que chega do servidor,
    //       na hora, e avisa "Conexão encerrada pelo servidor" se ele fechar.
    // TODO (enviar): na thread principal, envie cada linha digitada como está (o
    //       servidor põe o seu nome), até "sair" ou o fim da entrada.
    // TODO (sair): feche a conexão nos dois sentidos e imprima "Conexão encerrada",
    //       sem que a thread receptora confunda a sua saída com a do servidor.
    println!("O cliente ainda não foi escrito: veja os TODO em src/bin/cliente.rs ({endereco}).");
    Ok(())
}
