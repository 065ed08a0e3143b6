//! Servidor de arquivos: guarda o que cada cliente envia na pasta de `PASTA`,
//! devolve o que ele pede e lista o que há, um cliente por thread.
//!
//! Rode com `PASTA=/tmp/arquivos cargo run --bin servidor`; teste com o cliente
//! (`cargo run --bin cliente -- listar`) ou à mão:
//! `printf '{"op":"listar"}\n' | nc -q1 127.0.0.1 5000`.

// ANCHOR: usos
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use arquivos_solucao::conferir_nome;
use arquivos_solucao::protocolo::{Arquivo, LIMITE_DO_CABECALHO, Pedido, Resposta};
// ANCHOR_END: usos

fn main() -> ExitCode {
    let endereco = arquivos_solucao::endereco();
    let pasta = arquivos_solucao::pasta();
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

// ANCHOR: atender
/// Atende os pedidos de um cliente, um depois do outro, até ele fechar a conexão.
fn atender(conexao: TcpStream, pasta: &Path) -> io::Result<()> {
    let mut escritor = conexao.try_clone()?;
    // O mesmo `BufReader` lê os cabeçalhos e os bytes dos arquivos: o que ele já
    // trouxe para o buffer depois do `\n` é o começo do arquivo, não pode se perder.
    let mut leitor = BufReader::new(conexao);
    while let Some(cabecalho) = ler_cabecalho(&mut leitor)? {
        let resposta = match serde_json::from_slice::<Pedido>(&cabecalho) {
            // JSON quebrado ou sem um campo: recusa o pedido, e a conexão continua.
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
// ANCHOR_END: atender

// ANCHOR: ler_cabecalho
/// Lê a próxima linha de JSON, sem o `\n`; `None` quando o cliente fechou a
/// conexão. O `take` põe um teto: sem ele, quem nunca manda `\n` faria o
/// servidor guardar bytes até a memória acabar.
fn ler_cabecalho(leitor: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut linha = Vec::new();
    leitor
        .take(LIMITE_DO_CABECALHO)
        .read_until(b'\n', &mut linha)?;
    match linha.pop() {
        Some(b'\n') => Ok(Some(linha)),
        None => Ok(None),
        Some(_) if linha.len() + 1 >= LIMITE_DO_CABECALHO as usize => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "cabeçalho de 64 KiB sem \\n",
        )),
        // Meia linha e o fim da conexão: não há pedido a atender.
        Some(_) => Ok(None),
    }
}
// ANCHOR_END: ler_cabecalho

// ANCHOR: receber_arquivo
/// Guarda os `tamanho` bytes que seguem o cabeçalho como `pasta/nome`. O arquivo
/// só aparece com esse nome quando chegou inteiro: até lá ele é um temporário,
/// que o `Drop` de [`Temporario`] apaga se algo der errado no meio.
fn receber_arquivo(
    leitor: &mut impl BufRead,
    pasta: &Path,
    nome: &str,
    tamanho: u64,
) -> io::Result<Resposta> {
    if let Err(motivo) = conferir_nome(nome) {
        // Os bytes vêm de qualquer jeito: lidos e descartados, a conexão
        // continua pronta para o próximo cabeçalho.
        io::copy(&mut leitor.take(tamanho), &mut io::sink())?;
        return Ok(Resposta::erro(motivo));
    }
    let mut temporario = Temporario::criar(pasta)?;
    // `take` para exatamente em `tamanho`; `io::copy` vai aos pedaços, com um
    // buffer fixo de 8 KiB: 1 KiB ou 1 GiB ocupam a mesma memória.
    let copiados = io::copy(&mut leitor.take(tamanho), &mut temporario.arquivo)?;
    if copiados < tamanho {
        // A conexão acabou antes: o cliente anunciou mais do que mandou.
        return Ok(Resposta::erro(format!(
            "chegaram {copiados} de {tamanho} bytes anunciados; nada foi guardado"
        )));
    }
    temporario.guardar_como(&pasta.join(nome))?;
    Ok(Resposta::tamanho(tamanho))
}
// ANCHOR_END: receber_arquivo

// ANCHOR: temporario
/// Um arquivo em construção, com um nome só dele (`.parcial-<pid>-<n>`) na mesma
/// pasta do destino: o `rename` final troca o nome sem copiar nada, e de uma vez
/// (quem lista a pasta vê o arquivo antigo ou o novo, nunca a metade).
struct Temporario {
    caminho: PathBuf,
    arquivo: File,
    guardado: bool,
}

impl Temporario {
    fn criar(pasta: &Path) -> io::Result<Temporario> {
        static CONTADOR: AtomicU64 = AtomicU64::new(0);
        let n = CONTADOR.fetch_add(1, Ordering::Relaxed);
        let caminho = pasta.join(format!(".parcial-{}-{n}", std::process::id()));
        // `create_new`: nunca reaproveita um arquivo que já exista.
        let arquivo = File::options()
            .write(true)
            .create_new(true)
            .open(&caminho)?;
        Ok(Temporario {
            caminho,
            arquivo,
            guardado: false,
        })
    }

    /// Grava no disco e dá ao arquivo o nome final. Dois envios do mesmo nome:
    /// vale o último que terminou, inteiro.
    fn guardar_como(mut self, destino: &Path) -> io::Result<()> {
        self.arquivo.sync_all()?;
        fs::rename(&self.caminho, destino)?;
        self.guardado = true;
        Ok(())
    }
}

impl Drop for Temporario {
    fn drop(&mut self) {
        // Um envio cortado (a conexão caiu, um erro de escrita) não deixa restos.
        if !self.guardado {
            let _ = fs::remove_file(&self.caminho);
        }
    }
}
// ANCHOR_END: temporario

// ANCHOR: enviar_arquivo
/// Responde um `baixar`: o cabeçalho com o tamanho e, logo atrás, os bytes.
fn enviar_arquivo(escritor: &mut TcpStream, pasta: &Path, nome: &str) -> io::Result<()> {
    let recusa = |motivo: String| Resposta::erro(motivo).linha();
    if let Err(motivo) = conferir_nome(nome) {
        return escritor.write_all(recusa(motivo).as_bytes());
    }
    let arquivo = match File::open(pasta.join(nome)) {
        Ok(arquivo) => arquivo,
        Err(erro) if erro.kind() == io::ErrorKind::NotFound => {
            return escritor.write_all(recusa(format!("não há arquivo {nome:?}")).as_bytes());
        }
        Err(erro) => return escritor.write_all(recusa(erro.to_string()).as_bytes()),
    };
    let dados = arquivo.metadata()?;
    if !dados.is_file() {
        return escritor.write_all(recusa(format!("{nome:?} não é um arquivo")).as_bytes());
    }
    let tamanho = dados.len();
    escritor.write_all(Resposta::tamanho(tamanho).linha().as_bytes())?;
    // O tamanho já foi prometido: `take` garante que não vai um byte a mais.
    let enviados = io::copy(&mut arquivo.take(tamanho), escritor)?;
    if enviados < tamanho {
        // O arquivo encolheu no meio: a promessa não dá mais para cumprir, e só
        // fechar a conexão avisa o cliente de que a cópia dele está incompleta.
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("{nome} encolheu durante o envio"),
        ));
    }
    Ok(())
}
// ANCHOR_END: enviar_arquivo

// ANCHOR: listar
/// Os arquivos da pasta, em ordem de nome, sem os temporários.
fn listar(pasta: &Path) -> io::Result<Resposta> {
    let mut arquivos = Vec::new();
    for entrada in fs::read_dir(pasta)? {
        let entrada = entrada?;
        let Ok(nome) = entrada.file_name().into_string() else {
            continue; // um nome que não é UTF-8 não foi posto aqui pelo protocolo
        };
        // Um temporário pode sumir entre o `read_dir` e o `metadata`.
        let Ok(dados) = entrada.metadata() else {
            continue;
        };
        if nome.starts_with('.') || !dados.is_file() {
            continue;
        }
        arquivos.push(Arquivo {
            nome,
            tamanho: dados.len(),
        });
    }
    arquivos.sort_by(|a, b| a.nome.cmp(&b.nome));
    Ok(Resposta::lista(arquivos))
}
// ANCHOR_END: listar
