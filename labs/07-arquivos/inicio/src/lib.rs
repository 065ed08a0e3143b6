//! Laboratório 07 — transferência de arquivos (ponto de partida).
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

/// Aceita só um nome de arquivo simples, que não pode sair da pasta: o nome vem
/// da rede, de quem quer que tenha conectado.
pub fn conferir_nome(nome: &str) -> Result<(), String> {
    // TODO (passo `caminho`): devolva `Err(motivo)` para um nome vazio, com `/` ou
    //       `\`, com `..`, com um byte nulo (`'\0'`) ou começado por ponto (os
    //       temporários do servidor). Sem isso, `../../.bashrc` vira um caminho fora
    //       da pasta no `pasta.join(nome)`.
    let _ = nome;
    Ok(())
}
