//! Cliente de arquivos: `cliente enviar <arquivo>`, `cliente baixar <nome>
//! [destino]`, `cliente listar`. Um pedido por execução.
//!
//! Rode o servidor primeiro; depois, em outro terminal,
//! `cargo run --bin cliente -- enviar Cargo.toml`.
//!
//! Códigos de saída: 0 deu certo; 1 uso errado; 2 sem conexão com o servidor;
//! 3 o servidor recusou; 4 a conexão caiu no meio ou a resposta veio estranha;
//! 5 um problema com o arquivo local.

// ANCHOR: usos
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use arquivos_solucao::conferir_nome;
use arquivos_solucao::protocolo::{LIMITE_DO_CABECALHO, Pedido, Resposta};
// ANCHOR_END: usos

// ANCHOR: falha
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
                arquivos_solucao::endereco()
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
// ANCHOR_END: falha

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
    let conexao = TcpStream::connect(arquivos_solucao::endereco()).map_err(Falha::SemConexao)?;
    let mut escritor = conexao.try_clone().map_err(na_conexao)?;
    escritor
        .write_all(pedido.linha().as_bytes())
        .map_err(na_conexao)?;
    Ok((BufReader::new(conexao), escritor))
}

// ANCHOR: ler_resposta
/// Lê a linha de resposta e a interpreta; `ok:false` vira [`Falha::Recusado`].
fn ler_resposta(leitor: &mut BufReader<TcpStream>) -> Result<Resposta, Falha> {
    let mut linha = Vec::new();
    leitor
        .take(LIMITE_DO_CABECALHO)
        .read_until(b'\n', &mut linha)
        .map_err(na_conexao)?;
    if linha.last() != Some(&b'\n') {
        return Err(Falha::Conexao(
            "o servidor fechou a conexão sem responder".to_owned(),
        ));
    }
    let resposta: Resposta = serde_json::from_slice(&linha)
        .map_err(|erro| Falha::Conexao(format!("resposta que não entendi ({erro})")))?;
    if !resposta.ok {
        let motivo = resposta.erro.unwrap_or_else(|| "sem motivo".to_owned());
        return Err(Falha::Recusado(motivo));
    }
    Ok(resposta)
}
// ANCHOR_END: ler_resposta

// ANCHOR: enviar
fn enviar(arquivo: &Path) -> Result<(), Falha> {
    let nao_li =
        |erro: io::Error| Falha::Local(format!("não consegui ler {}: {erro}", arquivo.display()));
    let mut origem = File::open(arquivo).map_err(nao_li)?;
    let tamanho = origem.metadata().map_err(nao_li)?.len();
    // O servidor guarda só o nome, sem as pastas do caminho local.
    let nome = arquivo
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Falha::Uso(format!("{} não é um nome de arquivo", arquivo.display())))?
        .to_owned();
    let (mut leitor, mut escritor) = pedir(&Pedido::Enviar {
        nome: nome.clone(),
        tamanho,
    })?;
    let mut progresso = Progresso::new("enviando", &nome, tamanho);
    copiar(&mut origem, &mut escritor, tamanho, &mut progresso).map_err(|erro| match erro {
        Lado::Origem(erro) => nao_li(erro),
        Lado::Destino(erro) => na_conexao(erro),
    })?;
    let resposta = ler_resposta(&mut leitor)?;
    if resposta.tamanho != Some(tamanho) {
        return Err(Falha::Conexao(format!(
            "o servidor confirmou {:?} bytes, e eu enviei {tamanho}",
            resposta.tamanho
        )));
    }
    println!("Enviado: {nome} ({tamanho} bytes)");
    Ok(())
}
// ANCHOR_END: enviar

// ANCHOR: baixar
fn baixar(nome: &str, destino: &Path) -> Result<(), Falha> {
    let (mut leitor, _escritor) = pedir(&Pedido::Baixar {
        nome: nome.to_owned(),
    })?;
    let resposta = ler_resposta(&mut leitor)?;
    let tamanho = resposta
        .tamanho
        .ok_or_else(|| Falha::Conexao("a resposta não disse o tamanho".to_owned()))?;
    // Como no servidor: um temporário ao lado do destino, renomeado só no fim.
    let pasta = destino
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temporario = pasta.join(format!(".parcial-{}", std::process::id()));
    let nao_gravei = |erro: io::Error| {
        Falha::Local(format!("não consegui gravar {}: {erro}", destino.display()))
    };
    let mut arquivo = File::create(&temporario).map_err(nao_gravei)?;
    let mut progresso = Progresso::new("baixando", nome, tamanho);
    // O mesmo `leitor` da resposta: os primeiros bytes do arquivo podem já
    // estar no buffer dele.
    let copiado = copiar(&mut leitor, &mut arquivo, tamanho, &mut progresso);
    let copiado = copiado.and_then(|()| arquivo.sync_all().map_err(Lado::Destino));
    if let Err(erro) = copiado {
        let _ = fs::remove_file(&temporario);
        return Err(match erro {
            Lado::Origem(erro) => Falha::Conexao(format!(
                "a conexão caiu no meio do arquivo ({erro}); nada foi salvo"
            )),
            Lado::Destino(erro) => nao_gravei(erro),
        });
    }
    if let Err(erro) = fs::rename(&temporario, destino) {
        let _ = fs::remove_file(&temporario);
        return Err(nao_gravei(erro));
    }
    println!("Baixado: {nome} ({tamanho} bytes)");
    Ok(())
}
// ANCHOR_END: baixar

fn listar() -> Result<(), Falha> {
    let (mut leitor, _escritor) = pedir(&Pedido::Listar)?;
    let arquivos = ler_resposta(&mut leitor)?.arquivos.unwrap_or_default();
    if arquivos.is_empty() {
        println!("Nenhum arquivo no servidor.");
    }
    for arquivo in arquivos {
        // Um nome recusado pelo servidor nunca deveria estar aqui; se estiver,
        // mostra-se escapado, sem controlar o terminal.
        let nome = match conferir_nome(&arquivo.nome) {
            Ok(()) => arquivo.nome,
            Err(_) => format!("{:?}", arquivo.nome),
        };
        println!("{nome} ({} bytes)", arquivo.tamanho);
    }
    Ok(())
}

// ANCHOR: copiar
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
// ANCHOR_END: copiar

// ANCHOR: progresso
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
// ANCHOR_END: progresso
