//! Do alvo do pedido (`/fotos/praia%201.png?x=1`) a um arquivo dentro de `PASTA`.
//!
//! O alvo vem de um estranho. `/../../etc/passwd` é o ataque mais velho da web
//! (path traversal), e ele também vem disfarçado: `%2e%2e` é `..` em
//! percent-encoding, e `..%2f` esconde a barra.

use std::path::{Path, PathBuf};

use crate::resposta::Status;

/// Desfaz o percent-encoding: `%20` vira o byte 0x20 (espaço), `%C3%A7` os dois
/// bytes do `ç` em UTF-8. Um `%` sem dois dígitos hexadecimais depois é um erro.
pub fn decodificar(texto: &str) -> Option<Vec<u8>> {
    // TODO (percent-encoding): percorra os bytes; um `%` seguido de dois dígitos
    //       hexadecimais vira um byte (`u8::from_str_radix(hex, 16)`); os outros
    //       bytes passam como estão. Um `%` sem os dois dígitos devolve `None`.
    Some(texto.as_bytes().to_vec())
}

/// O arquivo que o alvo pede, dentro de `pasta`, ou o status da recusa: `400` para
/// um alvo que tenta sair da pasta (ou que não decodifica), `404` para o que não
/// existe. Uma pasta é servida pelo `index.html` dela.
pub fn resolver(pasta: &Path, alvo: &str) -> Result<PathBuf, Status> {
    // TODO (caminho): tire a consulta (`?x=1`), decodifique com `decodificar` e só
    //       então separe nos `/`. Pule os pedaços vazios e `.`; um pedaço `..` é um 400.
    // TODO (caminho): uma pasta vira a `index.html` dela; o que não existe é um 404.
    let _ = (pasta, alvo);
    Err(Status::NOT_FOUND)
}
