//! Servidor HTTP/1.1 de arquivos: serve a pasta de `PASTA` em 127.0.0.1, na porta
//! de `PORTA`, para qualquer navegador. Uma thread por conexão; em cada conexão, um
//! pedido depois do outro (keep-alive).
//!
//! Rode com `cargo run --bin servidor` e abra http://127.0.0.1:8080/ no navegador;
//! ou `curl -v http://127.0.0.1:8080/`.

// ANCHOR: usos
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use http_solucao::caminho::resolver;
use http_solucao::requisicao::{Falha, Requisicao, ler_requisicao};
use http_solucao::resposta::{Status, escrever_cabecalho, responder_erro, tipo_de_conteudo};
// ANCHOR_END: usos

fn main() -> ExitCode {
    let endereco = http_solucao::endereco();
    let pasta = Arc::new(http_solucao::pasta());
    if !pasta.is_dir() {
        eprintln!("Erro: a pasta {} não existe (veja PASTA)", pasta.display());
        return ExitCode::FAILURE;
    }
    let prazo = http_solucao::tempo_limite();
    let servidor = match TcpListener::bind(endereco) {
        Ok(servidor) => servidor,
        Err(erro) => {
            eprintln!("Erro: não consegui escutar em {endereco}: {erro}");
            return ExitCode::FAILURE;
        }
    };
    println!("Servindo {} em http://{endereco}/", pasta.display());

    // ANCHOR: laco
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
    // ANCHOR_END: laco
    ExitCode::SUCCESS
}

// ANCHOR: atender
/// Atende uma conexão: um pedido depois do outro, até o cliente fechar, pedir
/// `Connection: close`, mandar um pedido inválido ou ficar calado além do `prazo`.
fn atender(conexao: TcpStream, pasta: &Path, prazo: Duration) -> io::Result<()> {
    // O prazo vale para cada leitura: entre dois pedidos e no meio de um.
    conexao.set_read_timeout(Some(prazo))?;
    // Sem o algoritmo de Nagle: o corpo sai logo atrás do cabeçalho, sem esperar a
    // confirmação dele (que o cliente atrasa até 40 ms, à espera de mais dados).
    conexao.set_nodelay(true)?;
    let mut leitor = BufReader::new(conexao.try_clone()?);
    // O BufWriter junta as linhas do cabeçalho numa escrita só.
    let mut escritor = BufWriter::with_capacity(64 * 1024, conexao);
    loop {
        // Os bytes que sobraram no BufReader já são do próximo pedido: por isso o
        // mesmo leitor atravessa o laço inteiro (pedidos em sequência, "pipelining").
        let requisicao = match ler_requisicao(&mut leitor) {
            Ok(requisicao) => requisicao,
            Err(Falha::Encerrar) => return Ok(()),
            Err(Falha::Io(erro)) => return Err(erro),
            Err(Falha::Responder(status)) => {
                responder_erro(&mut escritor, status, true, true, &[])?;
                return fechar_com_calma(leitor, escritor);
            }
        };
        let fechar = requisicao.quer_fechar();
        let seguir = responder(&mut leitor, &mut escritor, &requisicao, pasta, fechar)?;
        if fechar || !seguir {
            return fechar_com_calma(leitor, escritor);
        }
    }
}
// ANCHOR_END: atender

// ANCHOR: responder
/// Responde um pedido já lido. Devolve `false` quando a conexão não pode seguir
/// (um método que o servidor não conhece pode ter trazido um corpo que ele não leu).
fn responder(
    leitor: &mut BufReader<TcpStream>,
    escritor: &mut BufWriter<TcpStream>,
    requisicao: &Requisicao,
    pasta: &Path,
    fechar: bool,
) -> io::Result<bool> {
    let com_corpo = match requisicao.metodo.as_str() {
        "GET" => true,
        "HEAD" => false,
        _ => {
            let allow = [("Allow", "GET, HEAD")];
            responder_erro(escritor, Status::METHOD_NOT_ALLOWED, true, true, &allow)?;
            return Ok(false);
        }
    };
    // Um GET com corpo é raro, mas o corpo ocupa o fluxo: é preciso pulá-lo para
    // achar o próximo pedido.
    if let Some(tamanho) = requisicao.cabecalho("content-length") {
        let Ok(tamanho) = tamanho.parse::<u64>() else {
            responder_erro(escritor, Status::BAD_REQUEST, com_corpo, true, &[])?;
            return Ok(false);
        };
        io::copy(&mut leitor.by_ref().take(tamanho), &mut io::sink())?;
    }
    match abrir(pasta, &requisicao.alvo) {
        Ok((arquivo, caminho, tamanho)) => {
            let tipo = tipo_de_conteudo(&caminho);
            escrever_cabecalho(escritor, Status::OK, tipo, tamanho, fechar, &[])?;
            if com_corpo {
                // Em pedaços, do disco para a rede: um arquivo de 1 GB não precisa
                // caber na memória. `take` garante os `tamanho` bytes prometidos,
                // nem um a mais, mesmo que o arquivo cresça enquanto é enviado.
                let enviados = io::copy(&mut arquivo.take(tamanho), escritor)?;
                if enviados < tamanho {
                    // O arquivo encolheu: prometemos bytes que não existem mais, e
                    // só fechar a conexão avisa o cliente.
                    escritor.flush()?;
                    return Ok(false);
                }
            }
            escritor.flush()?;
        }
        Err(status) => responder_erro(escritor, status, com_corpo, fechar, &[])?,
    }
    Ok(true)
}

/// Abre o arquivo que o alvo pede: o arquivo, o caminho e o tamanho.
fn abrir(pasta: &Path, alvo: &str) -> Result<(File, PathBuf, u64), Status> {
    let caminho = resolver(pasta, alvo)?;
    let arquivo = File::open(&caminho).map_err(|_| Status::NOT_FOUND)?;
    let tamanho = arquivo.metadata().map_err(|_| Status::NOT_FOUND)?.len();
    Ok((arquivo, caminho, tamanho))
}
// ANCHOR_END: responder

// ANCHOR: fechar_com_calma
/// Fecha a conexão sem perder a resposta. Fechar um socket com bytes ainda não
/// lidos faz o sistema mandar um RST, e o RST pode apagar a resposta antes de o
/// cliente lê-la. Então: fecha só a escrita (o cliente vê o fim da resposta), joga
/// fora o que ainda chegar, com teto e prazo, e só então fecha de vez.
fn fechar_com_calma(
    leitor: BufReader<TcpStream>,
    mut escritor: BufWriter<TcpStream>,
) -> io::Result<()> {
    escritor.flush()?;
    let conexao = leitor.get_ref();
    conexao.shutdown(Shutdown::Write)?;
    conexao.set_read_timeout(Some(Duration::from_secs(1)))?;
    let _ = io::copy(&mut leitor.take(1024 * 1024), &mut io::sink());
    Ok(())
}
// ANCHOR_END: fechar_com_calma
