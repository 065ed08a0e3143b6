//! Laboratório 05 — servidor de chat assíncrono com tokio e cliente de chat (ponto de partida).
//!
//! O protocolo é o mesmo do laboratório 03, linha por linha; muda só a maneira de
//! esperar: em vez de uma thread do sistema parada em cada socket, uma **tarefa** do
//! tokio por conexão, e poucas threads revezando-se entre milhares delas.
//!
//! # Organização
//!
//! - `src/bin/servidor.rs` (você completa): aceita conexões e dá a cada cliente
//!   uma tarefa que lê o que ele envia e outra que escreve o que ele deve receber.
//! - `src/bin/cliente.rs` (você completa): pede o apelido, conecta e espera, num
//!   só laço com `tokio::select!`, o teclado e o socket ao mesmo tempo.
//! - [`sala`] (você completa): o estado compartilhado (quem está conectado), atrás
//!   de `Arc<Mutex<…>>`, e a difusão de mensagens para todos os outros: `try_send`
//!   com o cadeado na mão, e a entrega, já sem ele, do que não coube numa fila cheia.
//! - [`protocolo`] (pronto): as regras do apelido e a leitura assíncrona de uma
//!   linha com limite de tamanho.
//! - este arquivo: o endereço que os dois programas usam (porta de `PORTA`, ou 5000).
//!
//! # O protocolo (linhas de texto UTF-8)
//!
//! 1. Ao conectar, o servidor envia `APELIDO`; o cliente responde com o apelido.
//! 2. Apelido: de 1 a 32 caracteres, sem espaços, que ninguém esteja usando. Se não
//!    servir, o servidor envia `ERRO: <motivo>` e pergunta `APELIDO` de novo.
//! 3. O recém-chegado recebe `Conectado ao servidor!`; os outros, `<apelido> entrou no chat!`.
//! 4. Cada linha enviada chega aos outros como `<apelido>: <texto>`. Quem escreve o
//!    nome é o servidor, e quem enviou não recebe a própria linha de volta.
//! 5. Quando alguém sai (EOF, erro ou reset), os outros recebem `<apelido> saiu do chat!`.

pub mod protocolo;
pub mod sala;

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
