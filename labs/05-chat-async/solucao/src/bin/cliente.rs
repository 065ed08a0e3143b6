//! Cliente de chat assíncrono: pede o apelido, conecta e espera duas coisas ao
//! mesmo tempo, o teclado e o servidor, num só laço com `tokio::select!`, no lugar
//! das duas threads do laboratório 03.
//!
//! Rode o servidor primeiro; depois, em vários terminais, `cargo run --bin cliente`.

// ANCHOR: usos
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines, Stdin};
use tokio::net::TcpStream;
// ANCHOR_END: usos

// ANCHOR: main
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
// ANCHOR_END: main

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

// ANCHOR: conversar
async fn conversar() -> io::Result<()> {
    // Um só `Lines` para o teclado inteiro: o apelido, os outros apelidos e as
    // mensagens saem do mesmo buffer, e nada digitado se perde entre eles.
    let mut teclado = BufReader::new(tokio::io::stdin()).lines();
    let Some(mut apelido) = ler_do_teclado(&mut teclado, "Escolha seu apelido: ").await? else {
        return Ok(());
    };
    let endereco = chat_async_solucao::endereco();
    let conexao = TcpStream::connect(endereco).await?;
    let (leitura, mut escritor) = conexao.into_split();
    let mut servidor = BufReader::new(leitura).lines();

    // ANCHOR: apresentar
    // Antes do `select!`, uma conversa simples: o servidor pede o apelido até aceitar.
    loop {
        let Some(linha) = servidor.next_line().await? else {
            println!("O servidor fechou a conexão");
            return Ok(());
        };
        match linha.trim_end() {
            "APELIDO" => {
                escritor
                    .write_all(format!("{apelido}\n").as_bytes())
                    .await?
            }
            "Conectado ao servidor!" => {
                println!("Conectado ao servidor!");
                break;
            }
            erro => {
                // `ERRO: ...`: mostra o motivo e pergunta outro apelido.
                println!("{erro}");
                match ler_do_teclado(&mut teclado, "Escolha outro apelido: ").await? {
                    Some(outro) => apelido = outro,
                    None => return Ok(()),
                }
            }
        }
    }
    // ANCHOR_END: apresentar

    // ANCHOR: laco
    // Uma tarefa, duas esperas: `select!` aguarda as duas ao mesmo tempo e roda o
    // braço da primeira que ficar pronta; a outra é cancelada e recriada na volta
    // seguinte. `next_line` pode ser cancelada sem perder nada: o que já tinha
    // chegado fica no buffer do `Lines` para a próxima chamada.
    loop {
        tokio::select! {
            // ANCHOR: recebida
            recebida = servidor.next_line() => match recebida {
                Ok(Some(linha)) => println!("{linha}"),
                // O servidor fechou (ou a conexão caiu): não é um erro do cliente.
                Ok(None) | Err(_) => {
                    println!("Conexão encerrada pelo servidor");
                    return Ok(());
                }
            },
            // ANCHOR_END: recebida
            digitada = teclado.next_line() => match digitada? {
                // O servidor acrescenta o nosso apelido: a linha vai como está.
                Some(mensagem) if !mensagem.eq_ignore_ascii_case("sair") => {
                    escritor.write_all(format!("{mensagem}\n").as_bytes()).await?;
                }
                // `sair` ou o fim da entrada (Ctrl-D).
                _ => break,
            },
        }
    }
    // O fim dos dados (FIN): o servidor vê a saída na hora e avisa os outros.
    escritor.shutdown().await?;
    println!("Conexão encerrada");
    Ok(())
    // ANCHOR_END: laco
}
// ANCHOR_END: conversar
