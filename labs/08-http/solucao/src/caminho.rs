//! Do alvo do pedido (`/fotos/praia%201.png?x=1`) a um arquivo dentro de `PASTA`.
//!
//! O alvo vem de um estranho. `/../../etc/passwd` é o ataque mais velho da web
//! (path traversal), e ele também vem disfarçado: `%2e%2e` é `..` em
//! percent-encoding, e `..%2f` esconde a barra. Por isso a ordem é: decodificar
//! primeiro, depois separar nos `/` e recusar qualquer pedaço `..`.

use std::path::{Path, PathBuf};

use crate::resposta::Status;

// ANCHOR: decodificar
/// Desfaz o percent-encoding: `%20` vira o byte 0x20 (espaço), `%C3%A7` os dois
/// bytes do `ç` em UTF-8. Um `%` sem dois dígitos hexadecimais depois é um erro.
pub fn decodificar(texto: &str) -> Option<Vec<u8>> {
    let bytes = texto.as_bytes();
    let mut saida = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            saida.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            saida.push(bytes[i]);
            i += 1;
        }
    }
    Some(saida)
}
// ANCHOR_END: decodificar

// ANCHOR: resolver
/// O arquivo que o alvo pede, dentro de `pasta`, ou o status da recusa: `400` para
/// um alvo que tenta sair da pasta (ou que não decodifica), `404` para o que não
/// existe. Uma pasta é servida pelo `index.html` dela.
pub fn resolver(pasta: &Path, alvo: &str) -> Result<PathBuf, Status> {
    // A consulta (`?x=1`) não faz parte do caminho.
    let caminho = alvo.split(['?', '#']).next().unwrap_or_default();
    let bytes = decodificar(caminho).ok_or(Status::BAD_REQUEST)?;
    let texto = String::from_utf8(bytes).map_err(|_| Status::BAD_REQUEST)?;
    let mut arquivo = pasta.to_path_buf();
    // Só depois de decodificar: `..%2f` tem que virar `../` antes da separação.
    for pedaco in texto.split('/') {
        match pedaco {
            "" | "." => continue,
            ".." => return Err(Status::BAD_REQUEST),
            _ if pedaco.contains(['\\', '\0']) => return Err(Status::BAD_REQUEST),
            _ => arquivo.push(pedaco),
        }
    }
    if arquivo.is_dir() {
        arquivo.push("index.html");
    }
    // Um link simbólico dentro da pasta ainda poderia apontar para fora dela:
    // o caminho de verdade, sem links, tem que continuar lá dentro.
    let real = arquivo.canonicalize().map_err(|_| Status::NOT_FOUND)?;
    let raiz = pasta.canonicalize().map_err(|_| Status::NOT_FOUND)?;
    if !real.starts_with(&raiz) || !real.is_file() {
        return Err(Status::NOT_FOUND);
    }
    Ok(real)
}
// ANCHOR_END: resolver

#[cfg(test)]
mod testes {
    use super::*;

    #[test]
    fn decodifica_percent_encoding() {
        assert_eq!(decodificar("a%20b%C3%A7").unwrap(), "a bç".as_bytes());
        assert_eq!(decodificar("%2e%2E").unwrap(), b"..");
        assert!(decodificar("%2").is_none());
        assert!(decodificar("%zz").is_none());
    }

    #[test]
    fn nunca_sai_da_pasta() {
        let pasta = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for alvo in [
            "/../Cargo.toml",
            "/%2e%2e/Cargo.toml",
            "/bin/..%2f..%2fCargo.toml",
        ] {
            assert_eq!(resolver(&pasta, alvo), Err(Status::BAD_REQUEST), "{alvo}");
        }
        assert!(resolver(&pasta, "/lib.rs?x=1").is_ok());
        assert_eq!(resolver(&pasta, "/nada.rs"), Err(Status::NOT_FOUND));
    }
}
