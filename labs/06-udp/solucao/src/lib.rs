//! Laboratório 06 — um contador por UDP (solução).
//!
//! # Organização
//!
//! - `src/bin/servidor.rs`: recebe datagramas em `127.0.0.1:PORTA`, um pedido por
//!   datagrama, e responde cada um com outro datagrama: `<seq> SOMA <n>` vira
//!   `<seq> TOTAL <t>` (o total daquele cliente), `<seq> ECO <texto>` volta igual, e
//!   o resto recebe `<seq ou 0> ERRO <motivo>`. Um pedido repetido (mesmo `seq`, mesmo
//!   endereço) recebe a mesma resposta e não conta de novo.
//! - `src/bin/cliente.rs`: lê `soma 5`, `eco oi` e `sair` do teclado, envia cada
//!   pedido com o próximo `seq`, espera a resposta com prazo, reenvia até 3 vezes e
//!   imprime `Resposta: <resposta>`.
//! - este arquivo: o endereço (porta de `PORTA`, ou 5000) e o prazo de cada tentativa
//!   do cliente (`TEMPO_RESPOSTA_MS`, ou 1000).
//!
//! A lição do laboratório: um datagrama chega inteiro ou não chega, e pode chegar duas
//! vezes ou fora de ordem. O `\n` que separava mensagens no TCP não faz falta aqui; o
//! que faz falta é um número de sequência, um prazo e um reenvio.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// A porta usada quando `PORTA` não está definida.
pub const PORTA_PADRAO: u16 = 5000;

/// O prazo de cada tentativa do cliente quando `TEMPO_RESPOSTA_MS` não está definido.
pub const TEMPO_RESPOSTA_PADRAO_MS: u64 = 1000;

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

/// Quanto o cliente espera por uma resposta antes de reenviar o pedido:
/// `TEMPO_RESPOSTA_MS` milissegundos (ou o padrão).
pub fn tempo_resposta() -> Duration {
    let ms = match std::env::var("TEMPO_RESPOSTA_MS") {
        Ok(texto) => match texto.trim().parse::<u64>() {
            Ok(ms) if ms > 0 => ms,
            _ => {
                eprintln!(
                    "TEMPO_RESPOSTA_MS={texto:?} não é um prazo válido; usando \
                     {TEMPO_RESPOSTA_PADRAO_MS}"
                );
                TEMPO_RESPOSTA_PADRAO_MS
            }
        },
        Err(_) => TEMPO_RESPOSTA_PADRAO_MS,
    };
    Duration::from_millis(ms)
}
