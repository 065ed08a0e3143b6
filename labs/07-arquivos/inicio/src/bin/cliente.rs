//! Cliente de arquivos: `cliente enviar <arquivo>`, `cliente baixar <nome>
//! [destino]`, `cliente listar`. Um pedido por execução.
//!
//! Avalie com `cargo xtask check 07` na raiz da apostila.
//!
//! Rode o servidor primeiro; depois, em outro terminal,
//! `cargo run --bin cliente -- enviar Cargo.toml`.
//!
//! Códigos de saída: 0 deu certo; 1 uso errado; 2 sem conexão com o servidor;
//! 3 o servidor recusou; 4 a conexão caiu no meio ou a resposta veio estranha;
//! 5 um problema com o arquivo local.

// O ponto de partida: as peças prontas só entram em uso quando você escrever os
// TODO. Apague esta linha quando todas estiverem em uso.
#![allow(dead_code, unused_imports)]

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use arquivos_inicio::conferir_nome;
use arquivos_inicio::protocolo::{LIMITE_DO_CABECALHO, Pedido, Resposta};

/// Por que o cliente não conseguiu: cada tipo tem o seu código de saída, para
/// que um script saiba o que houve sem ler a mensagem.
enum Falha {
    Uso(String),
    SemConexao(io::Error),
    Recusado(String),
    Conexao(String),
    Local(String),
}

impl Falha {
    fn codigo(&self) -> u8 {
        match self {
            Falha::Uso(_) => 1,
            Falha::SemConexao(_) => 2,
            Falha::Recusado(_) => 3,
            Falha::Conexao(_) => 4,
            Falha::Local(_) => 5,
        }
    }

    fn mensagem(&self) -> String {
        match self {
            Falha::Uso(texto) => texto.clone(),
            Falha::SemConexao(erro) => format!(
                "não consegui conectar em {}: {erro}. O servidor está rodando?",
                arquivos_inicio::endereco()
            ),
            Falha::Recusado(motivo) => format!("o servidor recusou: {motivo}"),
            Falha::Conexao(texto) | Falha::Local(texto) => texto.clone(),
        }
    }
}

/// Um erro de rede no meio da conversa.
fn na_conexao(erro: io::Error) -> Falha {
    Falha::Conexao(format!("a conexão com o servidor falhou: {erro}"))
}

const USO: &str =
    "uso: cliente enviar <arquivo> | cliente baixar <nome> [destino] | cliente listar";

fn main() -> ExitCode {
    let argumentos: Vec<String> = std::env::args().skip(1).collect();
    let resultado = match argumentos.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["enviar", arquivo] => enviar(Path::new(arquivo)),
        ["baixar", nome] => baixar(nome, Path::new(nome)),
        ["baixar", nome, destino] => baixar(nome, Path::new(destino)),
        ["listar"] => listar(),
        _ => Err(Falha::Uso(USO.to_owned())),
    };
    match resultado {
        Ok(()) => ExitCode::SUCCESS,
        Err(falha) => {
            eprintln!("Erro: {}", falha.mensagem());
            ExitCode::from(falha.codigo())
        }
    }
}

/// Conecta e envia o cabeçalho; devolve o leitor (com buffer) e o escritor.
fn pedir(pedido: &Pedido) -> Result<(BufReader<TcpStream>, TcpStream), Falha> {
    let conexao = TcpStream::connect(arquivos_inicio::endereco()).map_err(Falha::SemConexao)?;
    let mut escritor = conexao.try_clone().map_err(na_conexao)?;
    escritor
        .write_all(pedido.linha().as_bytes())
        .map_err(na_conexao)?;
    Ok((BufReader::new(conexao), escritor))
}

/// Lê a linha de resposta e a interpreta; `ok:false` vira [`Falha::Recusado`].
fn ler_resposta(leitor: &mut BufReader<TcpStream>) -> Result<Resposta, Falha> {
    // TODO: leia uma linha (`read_until(b'\n', ...)`, de um `take(LIMITE_DO_CABECALHO)`),
    //       interprete-a com `serde_json::from_slice::<Resposta>` e, se `ok` for
    //       falso, devolva `Falha::Recusado(motivo)`. Uma linha sem `\n` quer
    //       dizer que o servidor fechou: `Falha::Conexao(...)`.
    let _ = leitor;
    Err(Falha::Conexao(
        "ler_resposta ainda não foi escrito: veja os TODO".to_owned(),
    ))
}

fn enviar(arquivo: &Path) -> Result<(), Falha> {
    // TODO (passo `cliente-enviar`): abra o arquivo, pegue o tamanho de `metadata()`
    //       e o nome de `file_name()`, envie `Pedido::Enviar { nome, tamanho }` com
    //       `pedir`, copie o arquivo com `copiar`, leia a resposta com `ler_resposta`
    //       e imprima `Enviado: <nome> (<tamanho> bytes)`.
    let _ = arquivo;
    Err(Falha::Uso(
        "enviar ainda não foi escrito: veja os TODO em src/bin/cliente.rs".to_owned(),
    ))
}

fn baixar(nome: &str, destino: &Path) -> Result<(), Falha> {
    // TODO (passos `cliente-baixar` e `cliente-corte`): envie `Pedido::Baixar`,
    //       leia a resposta, e copie exatamente `tamanho` bytes do MESMO leitor para
    //       um temporário ao lado do destino; renomeie no fim com `fs::rename`. Se a
    //       cópia falhar, apague o temporário: nada de arquivo pela metade. Imprima
    //       `Baixado: <nome> (<tamanho> bytes)`.
    let _ = (nome, destino);
    Err(Falha::Uso(
        "baixar ainda não foi escrito: veja os TODO em src/bin/cliente.rs".to_owned(),
    ))
}

fn listar() -> Result<(), Falha> {
    // TODO (passo `cliente-listar`): envie `Pedido::Listar`, leia a resposta e
    //       imprima `<nome> (<tamanho> bytes)` para cada arquivo.
    Err(Falha::Uso(
        "listar ainda não foi escrito: veja os TODO em src/bin/cliente.rs".to_owned(),
    ))
}

/// De que lado da cópia veio um erro.
enum Lado {
    Origem(io::Error),
    Destino(io::Error),
}

/// Copia exatamente `tamanho` bytes, aos pedaços, num buffer fixo de 64 KiB.
/// Menos bytes do que o prometido é um erro (`UnexpectedEof`), não um fim.
fn copiar(
    origem: &mut impl Read,
    destino: &mut impl Write,
    tamanho: u64,
    progresso: &mut Progresso,
) -> Result<(), Lado> {
    let copiado = copiar_tudo(origem, destino, tamanho, progresso);
    // Uma linha de progresso pela metade terminaria colada na mensagem de erro.
    progresso.terminar(copiado.is_ok());
    copiado
}

fn copiar_tudo(
    origem: &mut impl Read,
    destino: &mut impl Write,
    tamanho: u64,
    progresso: &mut Progresso,
) -> Result<(), Lado> {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut copiados = 0u64;
    while copiados < tamanho {
        let falta = (tamanho - copiados).min(buffer.len() as u64) as usize;
        let n = match origem.read(&mut buffer[..falta]) {
            Ok(0) => {
                return Err(Lado::Origem(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("chegaram {copiados} de {tamanho} bytes"),
                )));
            }
            Ok(n) => n,
            Err(erro) if erro.kind() == io::ErrorKind::Interrupted => continue,
            Err(erro) => return Err(Lado::Origem(erro)),
        };
        destino.write_all(&buffer[..n]).map_err(Lado::Destino)?;
        copiados += n as u64;
        progresso.avancar(copiados);
    }
    Ok(())
}

/// A linha de progresso na saída de erro: bytes e porcentagem, no máximo dez
/// vezes por segundo (mais que isso só gasta o terminal), e só para arquivos
/// grandes o bastante para a espera ser notada.
struct Progresso {
    acao: &'static str,
    nome: String,
    total: u64,
    ultima: Option<Instant>,
    mostrou: bool,
}

const PROGRESSO_A_PARTIR_DE: u64 = 1024 * 1024;
const INTERVALO: Duration = Duration::from_millis(100);

impl Progresso {
    fn new(acao: &'static str, nome: &str, total: u64) -> Progresso {
        Progresso {
            acao,
            nome: nome.to_owned(),
            total,
            ultima: None,
            mostrou: false,
        }
    }

    fn avancar(&mut self, feitos: u64) {
        if self.total < PROGRESSO_A_PARTIR_DE
            || self.ultima.is_some_and(|t| t.elapsed() < INTERVALO)
        {
            return;
        }
        self.ultima = Some(Instant::now());
        self.mostrou = true;
        let porcento = feitos * 100 / self.total;
        // `\r` volta ao começo da linha: a mesma linha, reescrita.
        eprint!(
            "\r{} {}: {} de {} bytes ({porcento}%)",
            self.acao, self.nome, feitos, self.total
        );
    }

    fn terminar(&mut self, completo: bool) {
        if self.mostrou && completo {
            eprintln!(
                "\r{} {}: {} de {} bytes (100%)",
                self.acao, self.nome, self.total, self.total
            );
        } else if self.mostrou {
            eprintln!();
        }
    }
}
