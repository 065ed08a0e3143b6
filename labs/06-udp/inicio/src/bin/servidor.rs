//! Servidor do contador por UDP: um socket só, sem conexões e sem threads. Cada
//! datagrama que chega é um pedido; cada resposta é um datagrama enviado de volta ao
//! endereço de quem pediu. O servidor lembra, por endereço, o total de cada cliente e
//! a última resposta dada a ele, para que um pedido repetido não conte duas vezes.
//!
//! Rode com `cargo run --bin servidor`; teste com `nc -u 127.0.0.1 5000` e digite
//! `1 SOMA 5` (cada Enter do `nc` vira um datagrama).
//! Avalie com `cargo xtask check 06` na raiz da apostila.
//!
//! Os TODO estão numerados na ordem do capítulo "UDP: mensagens sem conexão".

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;

// TODO 1: um `recv_from` entrega um datagrama inteiro só se ele couber no buffer; o
//         que não couber é jogado fora sem aviso. 1024 é o `recv(1024)` do tutorial.
//         Qual é o maior datagrama UDP? Use esse tamanho.
const TAMANHO_MAXIMO: usize = 1024;

/// Quantos clientes o servidor lembra ao mesmo tempo (veja o TODO 8).
const MAX_CLIENTES: usize = 256;

fn main() -> ExitCode {
    let endereco = udp_inicio::endereco();
    let socket = match UdpSocket::bind(endereco) {
        Ok(socket) => socket,
        Err(erro) => {
            eprintln!("Erro: não consegui escutar em {endereco}: {erro}");
            return ExitCode::FAILURE;
        }
    };
    println!("Servidor UDP escutando em {endereco}");

    let mut clientes = Clientes::new(MAX_CLIENTES);
    let mut buffer = vec![0u8; TAMANHO_MAXIMO];
    // TODO 2: num laço sem fim, receba um datagrama com `socket.recv_from(&mut buffer)`,
    //         que devolve o tamanho dele e o endereço de quem o enviou. Se der erro,
    //         mostre-o com `eprintln!` e continue: o servidor nunca para.
    // TODO 3: calcule a resposta com `clientes.atender(origem, &buffer[..tamanho])` e
    //         envie-a a quem pediu com `socket.send_to(resposta.as_bytes(), origem)`.
    //         `None` quer dizer "não responda".
    let _ = (&socket, &mut clientes, &mut buffer);
    println!("O servidor ainda não foi escrito: veja os TODO em src/bin/servidor.rs.");
    ExitCode::SUCCESS
}

/// O número de sequência e o resto: `b"7 SOMA 5"` vira `(7, b"SOMA 5")`. `None` se
/// o datagrama não começa com dígitos seguidos de um espaço (ou do fim).
fn separar_seq(datagrama: &[u8]) -> Option<(u64, &[u8])> {
    let fim = datagrama
        .iter()
        .position(|&byte| byte == b' ')
        .unwrap_or(datagrama.len());
    let (digitos, resto) = datagrama.split_at(fim);
    if digitos.is_empty() || !digitos.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let seq = std::str::from_utf8(digitos).ok()?.parse().ok()?;
    Some((seq, resto.strip_prefix(b" ").unwrap_or(resto)))
}

/// Executa um pedido (sem o `seq`) e devolve a resposta (sem o `seq`).
fn executar(pedido: &[u8], total: &mut u64) -> String {
    // TODO 4: converta o pedido para texto com `std::str::from_utf8`; se não for
    //         UTF-8, responda `ERRO <motivo>` (o motivo é seu, em português).
    // TODO 5: separe o comando do argumento (`split_once(' ')`): `SOMA <n>` soma n ao
    //         `total` e responde `TOTAL <total>`; `ECO <texto>` responde `ECO <texto>`,
    //         com o texto exatamente como veio; qualquer outra coisa, `ERRO <motivo>`.
    let _ = (pedido, total);
    "ERRO o servidor ainda não sabe responder".to_owned()
}

/// O que o servidor lembra de um cliente (um endereço: IP e porta).
struct Cliente {
    /// A soma de todos os `SOMA` dele.
    total: u64,
    /// O último pedido atendido (o `seq`) e a resposta dada a ele.
    #[allow(dead_code)] // apague esta linha quando fizer o TODO 6
    ultimo: Option<(u64, String)>,
    /// Quando ele falou pela última vez, num relógio que conta pedidos.
    visto: u64,
}

/// Os clientes conhecidos, no máximo `limite` deles.
struct Clientes {
    por_endereco: HashMap<SocketAddr, Cliente>,
    relogio: u64,
    limite: usize,
}

impl Clientes {
    fn new(limite: usize) -> Clientes {
        Clientes {
            por_endereco: HashMap::new(),
            relogio: 0,
            limite,
        }
    }

    /// A resposta a um datagrama vindo de `origem`, ou `None` se ele for um pedido
    /// antigo (um `seq` menor que o último atendido).
    #[allow(dead_code)] // apague esta linha quando o laço do `main` chamar `atender`
    fn atender(&mut self, origem: SocketAddr, datagrama: &[u8]) -> Option<String> {
        let Some((seq, pedido)) = separar_seq(datagrama) else {
            return Some("0 ERRO o pedido não começa com um número de sequência".to_owned());
        };
        let cliente = self.do_endereco(origem);
        // TODO 6: se `seq` é o do último pedido (`cliente.ultimo`), é uma retransmissão:
        //         devolva a mesma resposta, sem executar de novo. Se é menor, é uma
        //         cópia atrasada: devolva `None`.
        let resposta = format!("{seq} {}", executar(pedido, &mut cliente.total));
        // TODO 7: guarde `(seq, resposta)` em `cliente.ultimo`.
        Some(resposta)
    }

    /// O cliente de `origem`, criado se for novo.
    fn do_endereco(&mut self, origem: SocketAddr) -> &mut Cliente {
        self.relogio += 1;
        // TODO 8: a memória tem teto. Se `origem` é novo e a tabela já tem
        //         `self.limite` clientes, remova o que tem o menor `visto` (o que está
        //         calado há mais tempo).
        let _ = self.limite;
        let cliente = self.por_endereco.entry(origem).or_insert(Cliente {
            total: 0,
            ultimo: None,
            visto: 0,
        });
        cliente.visto = self.relogio;
        cliente
    }
}
