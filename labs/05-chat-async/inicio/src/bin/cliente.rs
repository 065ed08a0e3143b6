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

    // TODO: crie o teclado uma vez só, `BufReader::new(tokio::io::stdin()).lines()`, e
    //       leia o apelido com `ler_do_teclado(&mut teclado, "Escolha seu apelido: ")`.
    // TODO: conecte com `TcpStream::connect(endereco).await?`, separe com
    //       `into_split()` e leia as linhas do servidor com
    //       `BufReader::new(leitura).lines()`. Responda cada "APELIDO" com o apelido; se
    //       vier "ERRO: ...", imprima e leia outro apelido; pare em
    //       "Conectado ao servidor!" (imprima essa linha).
    // TODO: num laço, `tokio::select!` entre `servidor.next_line()` (imprima cada linha;
    //       no fim, "Conexão encerrada pelo servidor" e `return Ok(())`) e
    //       `teclado.next_line()` (envie a linha como está, com `write_all`; em "sair"
    //       ou no fim da entrada, saia do laço).
    // TODO: depois do laço, `escritor.shutdown().await?` e imprima "Conexão encerrada".

    println!("O cliente ainda não foi escrito: veja os TODO em src/bin/cliente.rs ({endereco}).");
    Ok(())
}
