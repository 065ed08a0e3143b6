//! Cliente echo: lê linhas do teclado, envia cada uma ao servidor e imprime a
//! resposta. `sair` (ou o fim da entrada, Ctrl-D) encerra a conexão.
//!
//! Rode o servidor primeiro; depois, em outro terminal, `cargo run --bin cliente`.

// ANCHOR: usos
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::net::TcpStream;
use std::process::ExitCode;
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

// ANCHOR: conversar
fn conversar() -> io::Result<()> {
    let endereco = echo_solucao::endereco();
    let conexao = TcpStream::connect(endereco)?;
    println!("Conectado ao servidor echo em {endereco}");

    let mut escritor = conexao.try_clone()?;
    let mut leitor = BufReader::new(conexao);
    // O convite a digitar só faz sentido para uma pessoa, não para um programa.
    let interativo = io::stdin().is_terminal();

    // ANCHOR: laco
    let mut teclado = io::stdin().lock();
    loop {
        // ANCHOR: convite
        if interativo {
            print!("Digite uma mensagem (ou \"sair\" para terminar): ");
            // `print!` não termina a linha: sem o `flush`, o convite ficaria
            // guardado na saída padrão enquanto o programa espera o teclado.
            io::stdout().flush()?;
        }
        // ANCHOR_END: convite
        let mut mensagem = String::new();
        // 0 bytes lidos: o fim da entrada (Ctrl-D, ou a entrada de outro programa acabou).
        if teclado.read_line(&mut mensagem)? == 0 {
            break;
        }
        let mensagem = mensagem.trim_end_matches(['\n', '\r']);
        if mensagem.eq_ignore_ascii_case("sair") {
            break;
        }
        escritor.write_all(format!("{mensagem}\n").as_bytes())?;

        // A resposta é uma linha: lemos até o `\n`, em quantos pedaços ela vier.
        let mut resposta = String::new();
        if leitor.read_line(&mut resposta)? == 0 {
            println!("O servidor fechou a conexão");
            break;
        }
        println!("Resposta: {}", resposta.trim_end_matches('\n'));
    }
    // ANCHOR_END: laco

    // ANCHOR: encerrar
    // `shutdown` age no socket, que o `leitor` também usa, e não só neste
    // identificador. `Both` encerra os dois sentidos: envia o FIN (o servidor lê
    // EOF e encerra a conversa) e fecha a nossa leitura, pois não esperamos mais
    // nada. Acontece agora, antes do aviso abaixo, e não no fim da função.
    escritor.shutdown(std::net::Shutdown::Both)?;
    println!("Conexão encerrada");
    // ANCHOR_END: encerrar
    Ok(())
}
// ANCHOR_END: conversar
