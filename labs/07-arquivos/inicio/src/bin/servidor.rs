//! Servidor de arquivos: guarda o que cada cliente envia na pasta de `PASTA`,
//! devolve o que ele pede e lista o que há, um cliente por thread.
//!
//! Rode com `PASTA=/tmp/arquivos cargo run --bin servidor`; teste com o cliente
//! (`cargo run --bin cliente -- listar`) ou à mão:
//! `printf '{"op":"listar"}\n' | nc -q1 127.0.0.1 5000`.
//! Avalie com `cargo xtask check 07` na raiz da apostila.
//!
//! Os TODO seguem a ordem do capítulo "Transferência de arquivos".

use std::fs;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::ExitCode;
use std::thread;

use arquivos_inicio::protocolo::{LIMITE_DO_CABECALHO, Pedido, Resposta};

fn main() -> ExitCode {
    let endereco = arquivos_inicio::endereco();
    let pasta = arquivos_inicio::pasta();
    if let Err(erro) = fs::create_dir_all(&pasta) {
        eprintln!(
            "Erro: não consegui criar a pasta {}: {erro}",
            pasta.display()
        );
        return ExitCode::FAILURE;
    }
    let servidor = match TcpListener::bind(endereco) {
        Ok(servidor) => servidor,
        Err(erro) => {
            eprintln!("Erro: não consegui escutar em {endereco}: {erro}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Servidor de arquivos escutando em {endereco}, guardando em {}",
        pasta.display()
    );
    println!("Ele ainda não guarda nada: veja os TODO em src/bin/servidor.rs.");

    for conexao in servidor.incoming() {
        match conexao {
            Ok(conexao) => {
                let pasta = pasta.clone();
                thread::spawn(move || {
                    if let Err(erro) = atender(conexao, &pasta) {
                        eprintln!("Conversa encerrada com erro: {erro}");
                    }
                });
            }
            Err(erro) => eprintln!("accept falhou: {erro}"),
        }
    }
    ExitCode::SUCCESS
}

/// Atende os pedidos de um cliente, um depois do outro, até ele fechar a conexão.
fn atender(conexao: TcpStream, pasta: &Path) -> io::Result<()> {
    let mut escritor = conexao.try_clone()?;
    // O mesmo `BufReader` lê os cabeçalhos e os bytes dos arquivos.
    let mut leitor = BufReader::new(conexao);
    while let Some(cabecalho) = ler_cabecalho(&mut leitor)? {
        let resposta = match serde_json::from_slice::<Pedido>(&cabecalho) {
            Err(erro) => Resposta::erro(format!("pedido inválido: {erro}")),
            Ok(Pedido::Enviar { nome, tamanho }) => {
                receber_arquivo(&mut leitor, pasta, &nome, tamanho)?
            }
            Ok(Pedido::Baixar { nome }) => {
                enviar_arquivo(&mut escritor, pasta, &nome)?;
                continue;
            }
            Ok(Pedido::Listar) => listar(pasta)?,
        };
        escritor.write_all(resposta.linha().as_bytes())?;
    }
    Ok(())
}

/// Lê a próxima linha de JSON, sem o `\n`; `None` quando o cliente fechou a conexão.
fn ler_cabecalho(leitor: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut linha = Vec::new();
    // TODO (passo `json-ruim`): ponha um teto na linha, lendo de
    //       `leitor.take(LIMITE_DO_CABECALHO)`: sem ele, quem nunca manda `\n`
    //       faz o servidor guardar bytes até a memória acabar.
    let _ = LIMITE_DO_CABECALHO;
    leitor.read_until(b'\n', &mut linha)?;
    match linha.pop() {
        Some(b'\n') => Ok(Some(linha)),
        _ => Ok(None),
    }
}

/// Guarda os `tamanho` bytes que seguem o cabeçalho como `pasta/nome`.
fn receber_arquivo(
    leitor: &mut impl BufRead,
    pasta: &Path,
    nome: &str,
    tamanho: u64,
) -> io::Result<Resposta> {
    // TODO (passo `enviar`): copie exatamente `tamanho` bytes do `leitor` para um
    //       arquivo: `io::copy(&mut leitor.take(tamanho), &mut arquivo)`. Nunca
    //       leia o arquivo inteiro para a memória (passo `grande`).
    // TODO (passo `tamanho-mente`): se `io::copy` copiou menos que `tamanho`, a
    //       conexão acabou antes: não guarde nada e responda `Resposta::erro(...)`.
    // TODO (passo `corte`): escreva num temporário (`.parcial-<algo único>`, na
    //       mesma pasta), renomeie com `fs::rename` só no fim, e apague-o se der
    //       erro no meio (um `Drop` faz isso sozinho).
    // TODO (passo `caminho`): confira o nome com `arquivos_inicio::conferir_nome`;
    //       recusado, leia e descarte os bytes (`io::copy` para `io::sink()`).
    // Responda `Resposta::tamanho(tamanho)` quando o arquivo estiver guardado.
    let _ = (leitor, pasta, nome, tamanho);
    Ok(Resposta::erro(
        "receber_arquivo ainda não foi escrito: veja os TODO em src/bin/servidor.rs",
    ))
}

/// Responde um `baixar`: o cabeçalho com o tamanho e, logo atrás, os bytes.
fn enviar_arquivo(escritor: &mut TcpStream, pasta: &Path, nome: &str) -> io::Result<()> {
    // TODO (passo `baixar`): abra `pasta.join(nome)` (depois de `conferir_nome`),
    //       responda `Resposta::tamanho(tamanho)` com o tamanho de `metadata()` e
    //       copie o arquivo para o `escritor` com `io::copy`, de um `take(tamanho)`.
    //       Se ele não existir, responda `Resposta::erro(...)`.
    let _ = (pasta, nome);
    let resposta = Resposta::erro("enviar_arquivo ainda não foi escrito: veja os TODO");
    escritor.write_all(resposta.linha().as_bytes())
}

/// Os arquivos da pasta, em ordem de nome, sem os temporários.
fn listar(pasta: &Path) -> io::Result<Resposta> {
    // TODO (passo `listar`): percorra `fs::read_dir(pasta)`, pule nomes começados
    //       por ponto e o que não for arquivo, junte `Arquivo { nome, tamanho }`,
    //       ordene por nome e responda `Resposta::lista(arquivos)`.
    let _ = pasta;
    Ok(Resposta::erro("listar ainda não foi escrito: veja os TODO"))
}
