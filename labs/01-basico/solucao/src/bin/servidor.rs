//! Servidor básico: escuta em 127.0.0.1, aceita UMA conexão, envia as boas-vindas,
//! fecha a conexão e termina.
//!
//! Rode com `cargo run --bin servidor` (porta 5000) ou `PORTA=6000 cargo run --bin servidor`.

// ANCHOR: usos
use std::io::Write;
use std::net::TcpListener;
use std::process::ExitCode;
// ANCHOR_END: usos

fn main() -> ExitCode {
    match servir() {
        Ok(()) => ExitCode::SUCCESS,
        Err(erro) => {
            // Mensagem curta em português em vez do `Debug` do erro: quem lê é gente.
            eprintln!("Erro no servidor: {erro}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: servir
fn servir() -> std::io::Result<()> {
    let endereco = basico_solucao::endereco();

    // ANCHOR: bind
    // `bind` cria o socket, vincula ao endereço e já começa a escutar (bind + listen).
    let servidor = TcpListener::bind(endereco)?;
    println!("Servidor escutando em {endereco}");
    // ANCHOR_END: bind

    // ANCHOR: accept
    // `accept` bloqueia até um cliente conectar e devolve um socket só para ele.
    let (mut conexao, endereco_cliente) = servidor.accept()?;
    println!("Conexão estabelecida com {endereco_cliente}");
    // ANCHOR_END: accept

    // ANCHOR: enviar
    // `write_all` insiste até todos os bytes serem entregues ao sistema operacional;
    // um `write` simples pode escrever só uma parte.
    let mensagem = "Bem-vindo ao servidor!";
    conexao.write_all(mensagem.as_bytes())?;
    // ANCHOR_END: enviar

    // ANCHOR: fechar
    // Em Rust não há `close()`: o socket fecha quando sai de escopo. `drop` deixa isso
    // explícito. O sistema envia um FIN, e o cliente, depois dos últimos bytes, lê o
    // fim da conexão (EOF).
    drop(conexao);
    drop(servidor);
    // ANCHOR_END: fechar
    Ok(())
}
// ANCHOR_END: servir
