//! Cliente de chat: pede o apelido, conecta e usa duas threads: a principal lê o
//! teclado e envia; a outra imprime tudo o que chega do servidor.
//!
//! Rode o servidor primeiro; depois, em vários terminais, `cargo run --bin cliente`.

// ANCHOR: usos
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

/// Ligado pela thread principal quando é a pessoa que sai: a receptora então
/// sabe que o fim da conexão não veio do servidor.
static SAINDO: AtomicBool = AtomicBool::new(false);
// ANCHOR_END: usos

fn main() -> ExitCode {
    match conversar() {
        Ok(()) => ExitCode::SUCCESS,
        Err(erro) => {
            eprintln!("Erro no cliente: {erro}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: ler_do_teclado
/// Lê uma linha do teclado, sem o `\n`; `None` no fim da entrada.
fn ler_do_teclado(convite: &str) -> io::Result<Option<String>> {
    // O convite só faz sentido para uma pessoa, não para outro programa.
    if io::stdin().is_terminal() {
        print!("{convite}");
        io::stdout().flush()?;
    }
    let mut linha = String::new();
    if io::stdin().lock().read_line(&mut linha)? == 0 {
        return Ok(None);
    }
    Ok(Some(linha.trim_end_matches(['\n', '\r']).to_owned()))
}
// ANCHOR_END: ler_do_teclado

// ANCHOR: conversar
fn conversar() -> io::Result<()> {
    // ANCHOR: let-else
    let Some(mut apelido) = ler_do_teclado("Escolha seu apelido: ")? else {
        return Ok(());
    };
    // ANCHOR_END: let-else
    let endereco = chat_solucao::endereco();
    let conexao = TcpStream::connect(endereco)?;
    let mut escritor = conexao.try_clone()?;
    let mut leitor = BufReader::new(conexao);

    // ANCHOR: apresentar
    // Antes das threads, uma conversa simples: o servidor pede o apelido até aceitar.
    loop {
        let mut linha = String::new();
        if leitor.read_line(&mut linha)? == 0 {
            println!("O servidor fechou a conexão");
            return Ok(());
        }
        match linha.trim_end() {
            "APELIDO" => escritor.write_all(format!("{apelido}\n").as_bytes())?,
            "Conectado ao servidor!" => {
                println!("Conectado ao servidor!");
                break;
            }
            erro => {
                // `ERRO: ...`: mostra o motivo e pergunta outro apelido.
                println!("{erro}");
                match ler_do_teclado("Escolha outro apelido: ")? {
                    Some(outro) => apelido = outro,
                    None => return Ok(()),
                }
            }
        }
    }
    // ANCHOR_END: apresentar

    // ANCHOR: receber
    // A thread que recebe: imprime cada linha assim que ela chega, mesmo enquanto a
    // thread principal está parada esperando o teclado.
    thread::spawn(move || {
        for linha in leitor.lines() {
            match linha {
                Ok(linha) => println!("{linha}"),
                Err(_) => break,
            }
        }
        // Se foi a pessoa que saiu, a thread principal se despede; senão, foi o servidor.
        if !SAINDO.load(Ordering::SeqCst) {
            println!("Conexão encerrada pelo servidor");
            std::process::exit(0);
        }
    });
    // ANCHOR_END: receber

    // ANCHOR: enviar
    // A thread principal envia: o servidor acrescenta o nosso apelido.
    while let Some(mensagem) = ler_do_teclado("")? {
        if mensagem.eq_ignore_ascii_case("sair") {
            break;
        }
        escritor.write_all(format!("{mensagem}\n").as_bytes())?;
    }
    // ANCHOR: despedida
    SAINDO.store(true, Ordering::SeqCst);
    escritor.shutdown(Shutdown::Both)?;
    // ANCHOR_END: despedida
    println!("Conexão encerrada");
    // ANCHOR_END: enviar
    Ok(())
}
// ANCHOR_END: conversar
