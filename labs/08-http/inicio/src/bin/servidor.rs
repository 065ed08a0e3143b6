//! Servidor HTTP/1.1 de arquivos: serve a pasta de `PASTA` em 127.0.0.1, na porta
//! de `PORTA`, para qualquer navegador. Uma thread por conexão; em cada conexão, um
//! pedido depois do outro (keep-alive).
//!
//! Rode com `cargo run --bin servidor` e abra http://127.0.0.1:8080/ no navegador;
//! ou `curl -v http://127.0.0.1:8080/`. Avalie com `cargo xtask check 08` na raiz
//! da apostila.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

fn main() -> ExitCode {
    let endereco = http_inicio::endereco();
    let pasta = Arc::new(http_inicio::pasta());
    if !pasta.is_dir() {
        eprintln!("Erro: a pasta {} não existe (veja PASTA)", pasta.display());
        return ExitCode::FAILURE;
    }
    let prazo = http_inicio::tempo_limite();
    let servidor = match TcpListener::bind(endereco) {
        Ok(servidor) => servidor,
        Err(erro) => {
            eprintln!("Erro: não consegui escutar em {endereco}: {erro}");
            return ExitCode::FAILURE;
        }
    };
    println!("Servindo {} em http://{endereco}/", pasta.display());

    for conexao in servidor.incoming() {
        match conexao {
            Ok(conexao) => {
                let pasta = Arc::clone(&pasta);
                thread::spawn(move || {
                    if let Err(erro) = atender(conexao, &pasta, prazo) {
                        eprintln!("Conversa encerrada com erro: {erro}");
                    }
                });
            }
            Err(erro) => eprintln!("accept falhou: {erro}"),
        }
    }
    ExitCode::SUCCESS
}

/// Atende uma conexão: um pedido depois do outro, até o cliente fechar, pedir
/// `Connection: close`, mandar um pedido inválido ou ficar calado além do `prazo`.
fn atender(conexao: TcpStream, pasta: &Path, prazo: Duration) -> io::Result<()> {
    // TODO (anatomia do pedido): crie um `BufReader` sobre `conexao.try_clone()?` e
    //       leia o pedido com `http_inicio::requisicao::ler_requisicao`.
    // TODO (resposta): resolva o alvo com `http_inicio::caminho::resolver`, abra o
    //       arquivo e responda: `escrever_cabecalho` com `Status::OK`, o tipo de
    //       `tipo_de_conteudo` e o tamanho do arquivo; depois o corpo, com
    //       `io::copy`. Escreva por um `BufWriter`, para o cabeçalho e um corpo
    //       pequeno saírem numa escrita só, e termine com `flush`.
    // TODO (métodos): `HEAD` recebe os mesmos cabeçalhos, sem o corpo; outro método
    //       recebe `405` com o cabeçalho `Allow: GET, HEAD`. Os erros saem com
    //       `responder_erro`.
    // TODO (keep-alive): ponha a leitura e a resposta num laço, com o MESMO leitor
    //       (os bytes que sobraram nele já são do próximo pedido), até
    //       `quer_fechar()` ou `Falha::Encerrar`.
    // TODO (resposta): `conexao.set_nodelay(true)?`: sem isso, o corpo espera a
    //       confirmação do cabeçalho, e cada resposta atrasa até 40 ms.
    // TODO (prazo): `conexao.set_read_timeout(Some(prazo))` fecha a conexão calada.
    // TODO (fechar com calma): antes de fechar, `shutdown(Shutdown::Write)` e jogue
    //       fora o que ainda chegar (com teto e prazo): fechar com bytes não lidos
    //       manda um RST, que pode apagar a sua resposta.
    let _ = (pasta, prazo);
    println!(
        "Chegou uma conexão de {}, mas `atender` ainda não lê o pedido nem responde: \
         veja os TODO em src/bin/servidor.rs.",
        conexao.peer_addr()?
    );
    Ok(())
}
