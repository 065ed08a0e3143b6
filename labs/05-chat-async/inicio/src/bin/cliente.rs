//! Cliente de chat assíncrono: pede o apelido, conecta e espera duas coisas ao
//! mesmo tempo, o teclado e o servidor, num só laço com `tokio::select!`, no lugar
//! das duas threads do laboratório 03.
//!
//! Rode o servidor primeiro; depois, em vários terminais, `cargo run --bin cliente`.
//! Avalie com `cargo xtask check 05` na raiz da apostila.

// Enquanto os TODO não forem feitos, parte do que está importado ainda não é usado.
#![allow(unused_imports, unused_variables, dead_code)]

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines, Stdin};
use tokio::net::TcpStream;

fn main() -> ExitCode {
    // Um cliente espera duas coisas só: uma thread no runtime basta.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(erro) => {
            eprintln!("Erro no cliente: não consegui criar o runtime: {erro}");
            return ExitCode::FAILURE;
        }
    };
    let resultado = runtime.block_on(conversar());
    // O teclado do tokio é lido por uma thread auxiliar, num `read` comum que
    // ninguém consegue cancelar. Se o servidor fechou enquanto você não digitava,
    // essa leitura continua pendente, e descartar o runtime do jeito normal
    // esperaria por ela (até alguém apertar Enter). `shutdown_background` não
    // espera: o processo termina, e a leitura pendente junto.
    runtime.shutdown_background();
    match resultado {
        Ok(()) => ExitCode::SUCCESS,
        Err(erro) => {
            eprintln!("Erro no cliente: {erro}");
            ExitCode::FAILURE
        }
    }
}

/// O teclado, linha a linha (`next_line` devolve cada linha sem o `\n`).
type Teclado = Lines<BufReader<Stdin>>;

/// Lê uma linha do teclado, sem o `\n`; `None` no fim da entrada.
async fn ler_do_teclado(teclado: &mut Teclado, convite: &str) -> io::Result<Option<String>> {
    // O convite só faz sentido para uma pessoa, não para outro programa.
    if io::stdin().is_terminal() {
        print!("{convite}");
        io::stdout().flush()?;
    }
    teclado.next_line().await
}

async fn conversar() -> io::Result<()> {
    let endereco = chat_async_inicio::endereco();

    // TODO (apelido): leia o apelido do teclado, conecte e faça a apresentação do
    //       laboratório 03 (APELIDO, ERRO, Conectado ao servidor!). Um só leitor de
    //       linhas para o teclado e um só para o servidor, do começo ao fim.
    // TODO (laço): espere ao mesmo tempo a próxima linha do servidor (imprima; se
    //       ele fechar, "Conexão encerrada pelo servidor") e a próxima linha do
    //       teclado (envie como está; "sair" ou o fim da entrada encerram o laço).
    // TODO (sair): envie o fim dos dados ao servidor e imprima "Conexão encerrada".

    println!("O cliente ainda não foi escrito: veja os TODO em src/bin/cliente.rs ({endereco}).");
    Ok(())
}
