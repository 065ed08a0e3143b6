//! Laboratório 01 — servidor básico e cliente básico (ponto de partida).
//!
//! # Organização
//!
//! - `src/bin/servidor.rs` (você escreve): escuta em 127.0.0.1, aceita **uma** conexão, envia
//!   `Bem-vindo ao servidor!` e termina.
//! - `src/bin/cliente.rs` (você escreve): conecta ao servidor, lê até o servidor fechar a conexão e
//!   imprime a mensagem.
//! - este arquivo: o endereço que os dois programas usam.
//!
//! Os dois lados leem a porta da variável de ambiente `PORTA`. O corretor
//! (`cargo xtask check 01`) escolhe uma porta livre e a passa assim; sem ela, vale a
//! porta 5000, a mesma do tutorial.

use std::net::{Ipv4Addr, SocketAddr};

/// A porta usada quando `PORTA` não está definida.
pub const PORTA_PADRAO: u16 = 5000;

/// O endereço do servidor: sempre 127.0.0.1 (loopback), para que nada saia da
/// sua máquina, na porta de `PORTA` ou na porta padrão.
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
