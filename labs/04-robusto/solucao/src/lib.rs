//! Laboratório 04 — servidor robusto e cliente que diz o que deu errado (solução).
//!
//! # Organização
//!
//! - `src/bin/servidor.rs`: o servidor echo do laboratório 02, preparado para o mundo
//!   real: socket de escuta montado com socket2 (com `SO_REUSEADDR`), prazo para
//!   clientes calados, fechamento parcial, desconexões abruptas e encerramento gracioso com
//!   SIGTERM ou Ctrl-C.
//! - `src/bin/cliente.rs`: o cliente echo do laboratório 02, com um código de saída
//!   para cada jeito de a conversa dar errado.
//! - este arquivo: o endereço (porta de `PORTA`, ou 5000), o prazo (`TEMPO_LIMITE_MS`,
//!   ou 30 s) e os códigos de saída do cliente.
//!
//! # O protocolo (linhas de texto, como no laboratório 02)
//!
//! 1. Para cada linha recebida (até o `\n`, sem um `\r` final), o servidor responde
//!    `Echo: <linha>\n`, numa escrita só. Bytes que não são UTF-8 não encerram a conversa.
//! 2. Um cliente que não envia nada durante o prazo recebe `Tempo esgotado\n` e é
//!    desconectado; os outros nem percebem.
//! 3. Quando o cliente fecha o lado dele (fechamento parcial, half-close), o servidor
//!    responde o que faltava, inclusive um último pedaço sem `\n`, e fecha a conexão.
//! 4. Um cliente que some no meio da conversa encerra só a conversa com ele.
//! 5. Com SIGTERM ou SIGINT, cada cliente conectado recebe `Servidor encerrando\n`, a
//!    conexão fecha e o servidor termina com código 0, sem esperar ninguém.
//!
//! A lição do laboratório: a rede falha de muitos jeitos, e cada um tem um tratamento.
//! Um servidor robusto prevê todos eles; um cliente robusto diz qual aconteceu.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

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

// ANCHOR: tempo-limite
/// O prazo usado quando `TEMPO_LIMITE_MS` não está definida: 30 segundos.
pub const TEMPO_LIMITE_PADRAO_MS: u64 = 30_000;

/// Quanto tempo esperar por um byte antes de desistir: `TEMPO_LIMITE_MS`
/// milissegundos (ou o prazo padrão). O servidor usa para clientes calados, o
/// cliente para um servidor que não responde.
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
// ANCHOR_END: tempo-limite

// ANCHOR: codigos
// O código de saída é a resposta que um script (ou o corretor) lê sem entender a
// mensagem: 0 é "tudo certo", 1 é "algum erro"; os outros dizem qual.

/// O cliente não conseguiu conectar: ninguém escuta na porta.
pub const SAIDA_CONEXAO_RECUSADA: u8 = 2;
/// O servidor não respondeu dentro do prazo.
pub const SAIDA_TEMPO_ESGOTADO: u8 = 3;
/// O servidor fechou a conexão, ou ela se rompeu, no meio da conversa.
pub const SAIDA_CONEXAO_PERDIDA: u8 = 4;
// ANCHOR_END: codigos
