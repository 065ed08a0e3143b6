//! Cliente HTTP: `cliente http://127.0.0.1:<porta>/<caminho>` envia um `GET`,
//! imprime a linha de status e o corpo, e termina.
//!
//! O corpo termina onde o `Content-Length` diz; sem ele, quando o servidor fecha a
//! conexão. Códigos de saída: 0 tudo certo (mesmo um 404: a conversa deu certo), 1
//! uso errado ou resposta inválida, 2 conexão recusada, 3 servidor calado além do
//! prazo, 4 conexão perdida antes do fim do corpo.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

/// O endereço pedido, separado: `127.0.0.1`, `8080`, `/index.html`.
struct Url {
    host: String,
    porta: u16,
    caminho: String,
}

/// O que deu errado, com o código de saída que o diz.
struct Erro {
    codigo: u8,
    mensagem: String,
}

fn erro(codigo: u8, mensagem: impl Into<String>) -> Erro {
    Erro {
        codigo,
        mensagem: mensagem.into(),
    }
}

fn main() -> ExitCode {
    let Some(texto) = std::env::args().nth(1) else {
        eprintln!("Erro: uso: cliente http://127.0.0.1:<porta>/<caminho>");
        return ExitCode::from(1);
    };
    match buscar(&texto) {
        Ok(()) => ExitCode::SUCCESS,
        Err(erro) => {
            eprintln!("Erro: {}", erro.mensagem);
            ExitCode::from(erro.codigo)
        }
    }
}

// ANCHOR: separar_url
/// `http://127.0.0.1:8080/a/b` em host, porta (80 se faltar) e caminho (`/` se faltar).
fn separar_url(texto: &str) -> Option<Url> {
    let resto = texto.strip_prefix("http://")?;
    let (autoridade, caminho) = match resto.find('/') {
        Some(barra) => resto.split_at(barra),
        None => (resto, "/"),
    };
    let (host, porta) = match autoridade.rsplit_once(':') {
        Some((host, porta)) => (host, porta.parse().ok()?),
        None => (autoridade, 80),
    };
    if host.is_empty() {
        return None;
    }
    Some(Url {
        host: host.to_owned(),
        porta,
        caminho: caminho.to_owned(),
    })
}
// ANCHOR_END: separar_url

// ANCHOR: buscar
fn buscar(texto: &str) -> Result<(), Erro> {
    let url = separar_url(texto).ok_or_else(|| {
        erro(
            1,
            format!("{texto:?} não é um endereço http://host:porta/caminho"),
        )
    })?;
    let conexao = TcpStream::connect((url.host.as_str(), url.porta)).map_err(|e| {
        let codigo = if e.kind() == io::ErrorKind::ConnectionRefused {
            2
        } else {
            1
        };
        erro(
            codigo,
            format!("não consegui conectar em {}:{}: {e}", url.host, url.porta),
        )
    })?;
    conexao
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .map_err(|e| erro(1, e.to_string()))?;
    let pedido = format!(
        "GET {} HTTP/1.1\r\nHost: {}:{}\r\nConnection: close\r\n\r\n",
        url.caminho, url.host, url.porta
    );
    (&conexao)
        .write_all(pedido.as_bytes())
        .map_err(|e| erro(4, format!("não consegui enviar o pedido: {e}")))?;

    let mut leitor = BufReader::new(conexao);
    let status = ler_linha(&mut leitor)?
        .ok_or_else(|| erro(4, "o servidor fechou a conexão sem responder"))?;
    if !status.starts_with("HTTP/1.") {
        return Err(erro(1, format!("a resposta não é HTTP: {status:?}")));
    }
    let mut tamanho = None;
    loop {
        let linha = ler_linha(&mut leitor)?
            .ok_or_else(|| erro(4, "a conexão fechou no meio dos cabeçalhos"))?;
        if linha.is_empty() {
            break;
        }
        if let Some((nome, valor)) = linha.split_once(':')
            && nome.trim().eq_ignore_ascii_case("content-length")
        {
            let valor = valor.trim();
            let numero = valor
                .parse::<u64>()
                .map_err(|_| erro(1, format!("Content-Length inválido: {valor:?}")))?;
            tamanho = Some(numero);
        }
    }
    println!("{status}");
    imprimir_corpo(&mut leitor, tamanho)
}
// ANCHOR_END: buscar

// ANCHOR: corpo
/// Copia o corpo para a saída padrão: exatamente `tamanho` bytes, ou tudo até o
/// servidor fechar, quando a resposta não diz o tamanho.
fn imprimir_corpo(leitor: &mut impl Read, tamanho: Option<u64>) -> Result<(), Erro> {
    let mut saida = io::stdout().lock();
    let copiados = match tamanho {
        Some(tamanho) => io::copy(&mut leitor.take(tamanho), &mut saida),
        None => io::copy(leitor, &mut saida),
    }
    .map_err(erro_de_leitura)?;
    saida.flush().map_err(|e| erro(1, e.to_string()))?;
    match tamanho {
        Some(tamanho) if copiados < tamanho => Err(erro(
            4,
            format!("a conexão fechou antes do fim do corpo ({copiados} de {tamanho} bytes)"),
        )),
        _ => Ok(()),
    }
}
// ANCHOR_END: corpo

/// Uma linha da resposta, sem o `\r\n`; `None` se a conexão fechou antes.
fn ler_linha(leitor: &mut impl BufRead) -> Result<Option<String>, Erro> {
    let mut linha = Vec::new();
    leitor
        .by_ref()
        .take(64 * 1024)
        .read_until(b'\n', &mut linha)
        .map_err(erro_de_leitura)?;
    if linha.last() != Some(&b'\n') {
        return Ok(None);
    }
    let texto = String::from_utf8_lossy(&linha);
    Ok(Some(texto.trim_end_matches(['\r', '\n']).to_owned()))
}

fn erro_de_leitura(e: io::Error) -> Erro {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            erro(3, "o servidor não respondeu dentro do prazo")
        }
        _ => erro(4, format!("a conexão caiu: {e}")),
    }
}
