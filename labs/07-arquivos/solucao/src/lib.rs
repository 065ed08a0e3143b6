//! Laboratório 07 — transferência de arquivos (solução).
//!
//! # Organização
//!
//! - `src/bin/servidor.rs`: guarda, devolve e lista arquivos na pasta de `PASTA`,
//!   um cliente por thread.
//! - `src/bin/cliente.rs`: `cliente enviar <arquivo>`, `cliente baixar <nome>
//!   [destino]`, `cliente listar`.
//! - `protocolo.rs`: os pedidos e as respostas, em JSON (pronto no ponto de partida).
//! - este arquivo: o endereço, a pasta e a regra dos nomes, que os dois usam.
//!
//! A lição: um arquivo pode ter qualquer byte, inclusive `\n`, então o fim dele não
//! pode ser marcado por um delimitador. Quem diz onde ele acaba é o **tamanho**
//! anunciado antes, e quem lê copia exatamente essa quantidade, aos pedaços, sem
//! nunca ter o arquivo inteiro na memória.

pub mod protocolo;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

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

/// A pasta onde o servidor guarda os arquivos: a de `PASTA`, ou `arquivos/`.
pub fn pasta() -> PathBuf {
    std::env::var_os("PASTA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("arquivos"))
}

// ANCHOR: conferir_nome
/// Aceita só um nome de arquivo simples, que não pode sair da pasta: o nome vem
/// da rede, de quem quer que tenha conectado. `../../.bashrc`, `/etc/passwd` ou
/// `sub\arquivo` virariam caminhos fora dela (ou em outra pasta) no `join`.
pub fn conferir_nome(nome: &str) -> Result<(), String> {
    if nome.is_empty() {
        return Err("o nome do arquivo está vazio".to_owned());
    }
    if nome.contains(['/', '\\']) {
        return Err(format!(
            "nome recusado ({nome:?}): só um nome de arquivo, sem / nem \\"
        ));
    }
    if nome.contains("..") {
        return Err(format!(
            "nome recusado ({nome:?}): .. sairia da pasta do servidor"
        ));
    }
    if nome.contains('\0') {
        return Err("nome recusado: tem um byte nulo".to_owned());
    }
    // Os temporários do servidor começam com ponto (veja `Temporario`).
    if nome.starts_with('.') {
        return Err(format!(
            "nome recusado ({nome:?}): nomes começados por ponto são do servidor"
        ));
    }
    if nome.len() > 255 {
        return Err("nome recusado: mais de 255 bytes".to_owned());
    }
    Ok(())
}
// ANCHOR_END: conferir_nome

#[cfg(test)]
mod tests {
    use super::conferir_nome;

    #[test]
    fn nomes_que_saem_da_pasta_sao_recusados() {
        for nome in [
            "",
            "../x",
            "a/b",
            "a\\b",
            "..",
            "a\0b",
            ".parcial",
            "/etc/passwd",
        ] {
            assert!(conferir_nome(nome).is_err(), "{nome:?}");
        }
        for nome in ["notas.txt", "foto 1.png", "maçã", "a.b.c"] {
            assert!(conferir_nome(nome).is_ok(), "{nome:?}");
        }
    }
}
