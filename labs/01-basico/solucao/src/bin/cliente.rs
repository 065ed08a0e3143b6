//! Cliente básico: conecta ao servidor, lê tudo o que ele enviar até fechar a
//! conexão e imprime a mensagem.
//!
//! Rode o servidor primeiro; depois, em outro terminal, `cargo run --bin cliente`.

// ANCHOR: usos
use std::io::Read;
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
fn conversar() -> std::io::Result<()> {
    let endereco = basico_solucao::endereco();

    // ANCHOR: connect
    // `connect` cria o socket e faz o aperto de mão do TCP com o servidor.
    let mut cliente = TcpStream::connect(endereco)?;
    println!("Conectado ao servidor em {endereco}");
    // ANCHOR_END: connect

    // ANCHOR: receber
    // Lemos até o servidor fechar a conexão (EOF). Um único `read` poderia trazer só
    // um pedaço da mensagem: o TCP entrega um fluxo de bytes, não mensagens.
    let mut dados = Vec::new();
    cliente.read_to_end(&mut dados)?;
    let mensagem = String::from_utf8_lossy(&dados);
    println!("Mensagem recebida: {mensagem}");
    // ANCHOR_END: receber

    // O socket fecha aqui, ao sair de escopo.
    Ok(())
}
// ANCHOR_END: conversar
