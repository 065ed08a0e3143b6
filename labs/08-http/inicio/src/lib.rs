//! Laboratório 08 — um servidor HTTP/1.1 de arquivos e um cliente (ponto de partida).
//!
//! # Organização
//!
//! - `src/bin/servidor.rs` (você escreve): aceita conexões, uma thread para cada, e atende nelas um
//!   pedido depois do outro (keep-alive) até o cliente pedir `Connection: close`, sumir
//!   ou ficar calado por `TEMPO_LIMITE_MS`.
//! - `src/requisicao.rs` (você escreve): lê um pedido do fluxo de bytes, linha a linha, com limites.
//! - `src/caminho.rs` (você escreve): transforma o alvo do pedido (`/css/estilo.css`) num arquivo
//!   dentro de `PASTA`, e nunca fora dela.
//! - `src/resposta.rs` (quase pronto): escreve a resposta: linha de status, cabeçalhos, corpo.
//! - `src/bin/cliente.rs` (você escreve): `cliente http://127.0.0.1:<porta>/<caminho>` faz um `GET` e
//!   imprime a linha de status e o corpo.
//! - este arquivo: o endereço (porta de `PORTA`, ou 8080), a pasta servida (`PASTA`,
//!   ou o site que vem com o laboratório) e o prazo (`TEMPO_LIMITE_MS`, ou 10 s).
//!
//! A lição do laboratório: o HTTP é um protocolo de texto sobre o fluxo de bytes do
//! TCP, com os dois enquadramentos que você já conhece: linhas (`\r\n`) para o
//! cabeçalho e um tamanho (`Content-Length`) para o corpo. Quem o fala com um
//! navegador de verdade precisa, além disso, desconfiar de tudo o que chega.

pub mod caminho;
pub mod requisicao;
pub mod resposta;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// A porta usada quando `PORTA` não está definida.
pub const PORTA_PADRAO: u16 = 8080;

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

/// A pasta servida: a de `PASTA`, ou o site do laboratório (`labs/08-http/site`,
/// achado a partir deste crate, de onde quer que você rode o servidor).
pub fn pasta() -> PathBuf {
    match std::env::var_os("PASTA") {
        Some(pasta) => PathBuf::from(pasta),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../site"),
    }
}

/// O prazo usado quando `TEMPO_LIMITE_MS` não está definida: 10 segundos.
pub const TEMPO_LIMITE_PADRAO_MS: u64 = 10_000;

/// Quanto tempo uma conexão pode ficar calada (entre dois pedidos, ou no meio de
/// um) antes de o servidor fechá-la: `TEMPO_LIMITE_MS` milissegundos.
pub fn tempo_limite() -> Duration {
    let ms = match std::env::var("TEMPO_LIMITE_MS") {
        Ok(texto) => match texto.trim().parse::<u64>() {
            // Zero não é um prazo: `set_read_timeout(Some(Duration::ZERO))` é um erro.
            Ok(ms) if ms > 0 => ms,
            _ => {
                eprintln!(
                    "TEMPO_LIMITE_MS={texto:?} não é um prazo válido em milissegundos; \
                     usando {TEMPO_LIMITE_PADRAO_MS}"
                );
                TEMPO_LIMITE_PADRAO_MS
            }
        },
        Err(_) => TEMPO_LIMITE_PADRAO_MS,
    };
    Duration::from_millis(ms)
}
