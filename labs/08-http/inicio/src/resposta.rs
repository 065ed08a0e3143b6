//! Escrever uma resposta HTTP/1.1: a linha de status, os cabeçalhos, uma linha
//! vazia e o corpo, com exatamente os `Content-Length` bytes prometidos.

use std::io::{self, Write};
use std::path::Path;

/// Um código de status e a frase dele, em inglês, como a RFC 9110 os escreve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    pub codigo: u16,
    pub frase: &'static str,
}

impl Status {
    pub const OK: Status = Status::novo(200, "OK");
    pub const BAD_REQUEST: Status = Status::novo(400, "Bad Request");
    pub const NOT_FOUND: Status = Status::novo(404, "Not Found");
    pub const METHOD_NOT_ALLOWED: Status = Status::novo(405, "Method Not Allowed");
    pub const URI_TOO_LONG: Status = Status::novo(414, "URI Too Long");
    pub const HEADERS_TOO_LARGE: Status = Status::novo(431, "Request Header Fields Too Large");

    const fn novo(codigo: u16, frase: &'static str) -> Status {
        Status { codigo, frase }
    }
}

/// O `Content-Type` pela extensão do arquivo. O navegador confia nele, não no
/// nome: um CSS servido como `text/plain` é ignorado.
pub fn tipo_de_conteudo(caminho: &Path) -> &'static str {
    let extensao = caminho
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extensao.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("svg") => "image/svg+xml",
        Some("ico") => "image/x-icon",
        // Bytes quaisquer: o navegador oferece para baixar em vez de exibir.
        _ => "application/octet-stream",
    }
}

/// Escreve a linha de status e os cabeçalhos, até a linha vazia. `extras` são
/// cabeçalhos a mais (o `Allow` de um 405).
pub fn escrever_cabecalho(
    escritor: &mut impl Write,
    status: Status,
    tipo: &str,
    tamanho: u64,
    fechar: bool,
    extras: &[(&str, &str)],
) -> io::Result<()> {
    // TODO (resposta): escreva a linha de status (`HTTP/1.1 200 OK\r\n`), depois
    //       `Content-Type`, `Content-Length` (o tamanho do corpo, em bytes), os
    //       `extras` e, se `fechar`, `Connection: close`; cada um terminado em `\r\n`,
    //       e no fim a linha vazia (`\r\n`) que separa o cabeçalho do corpo.
    let _ = (escritor, status, tipo, tamanho, fechar, extras);
    Ok(())
}

/// Uma resposta de erro: uma página HTML curta, em português, que diz o que houve.
pub fn responder_erro(
    escritor: &mut impl Write,
    status: Status,
    corpo_tambem: bool,
    fechar: bool,
    extras: &[(&str, &str)],
) -> io::Result<()> {
    let explicacao = match status.codigo {
        400 => "O pedido não segue o formato do HTTP/1.1, ou pede um caminho proibido.",
        404 => "Não há nada com esse nome nesta pasta.",
        405 => "Este servidor só atende os métodos GET e HEAD.",
        414 => "O endereço pedido é comprido demais.",
        431 => "Os cabeçalhos do pedido são grandes demais.",
        _ => "O servidor não conseguiu atender o pedido.",
    };
    let pagina = format!(
        "<!DOCTYPE html>\n<html lang=\"pt-BR\"><head><meta charset=\"utf-8\">\
         <title>{codigo} {frase}</title></head>\n<body><h1>{codigo} {frase}</h1>\
         <p>{explicacao}</p></body></html>\n",
        codigo = status.codigo,
        frase = status.frase,
    );
    let tipo = "text/html; charset=utf-8";
    escrever_cabecalho(escritor, status, tipo, pagina.len() as u64, fechar, extras)?;
    // Um HEAD recebe os mesmos cabeçalhos, sem o corpo.
    if corpo_tambem {
        escritor.write_all(pagina.as_bytes())?;
    }
    escritor.flush()
}
