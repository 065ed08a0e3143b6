//! Laboratório 02 — servidor echo e cliente echo (solução).
//!
//! # Organização
//!
//! - `src/bin/servidor.rs`: atende um cliente depois do outro, para sempre; para cada
//!   linha recebida (terminada em `\n`) responde `Echo: <linha>\n`.
//! - `src/bin/cliente.rs`: lê linhas do teclado, envia cada uma e imprime a resposta
//!   como `Resposta: Echo: ...`; `sair` ou o fim da entrada encerram.
//! - este arquivo: o endereço que os dois programas usam (porta de `PORTA`, ou 5000).
//!
//! A lição do laboratório: o TCP entrega um **fluxo de bytes**, não mensagens. Uma
//! leitura pode trazer meia linha, ou três; quem separa as mensagens é o protocolo,
//! aqui a quebra de linha, com a ajuda de `BufRead`.

use std::net::{Ipv4Addr, SocketAddr};

/// A porta usada quando `PORTA` não está definida.
pub const PORTA_PADRAO: u16 = 5000;

/// O endereço do servidor: 127.0.0.1 na porta de `PORTA` (ou na porta padrão).
pub fn endereco() -> SocketAddr {
    let porta = match std::env::var("PORTA") {
        Ok(texto) => texto.trim().parse().unwrap_or_else(|_| {
            eprintln!("PORTA={texto:?} não é uma porta válida; usando {PORTA_PADRAO}");
            PORTA_PADRAO
        }),
        Err(_) => PORTA_PADRAO,
    };
    SocketAddr::from((Ipv4Addr::LOCALHOST, porta))
}
