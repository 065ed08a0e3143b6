//! Servidor do contador por UDP: um socket só, sem conexões e sem threads. Cada
//! datagrama que chega é um pedido; cada resposta é um datagrama enviado de volta ao
//! endereço de quem pediu. O servidor lembra, por endereço, o total de cada cliente e
//! a última resposta dada a ele, para que um pedido repetido não conte duas vezes.
//!
//! Rode com `cargo run --bin servidor`; teste com `nc -u 127.0.0.1 5000` e digite
//! `1 SOMA 5` (cada Enter do `nc` vira um datagrama).

// ANCHOR: usos
use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
// ANCHOR_END: usos

// ANCHOR: constantes
/// O maior datagrama que um socket UDP pode entregar: o campo de tamanho do
/// cabeçalho UDP tem 16 bits. Um buffer menor que o datagrama não dá erro: o que
/// não coube é jogado fora em silêncio.
const TAMANHO_MAXIMO: usize = 65_535;

/// Quantos clientes o servidor lembra ao mesmo tempo. Cada um custa o total e a
/// última resposta (até uns 64 KiB, um `ECO` grande): 256 clientes são no máximo
/// 16 MiB. Quem chega com a tabela cheia toma o lugar de quem está calado há mais
/// tempo.
const MAX_CLIENTES: usize = 256;
// ANCHOR_END: constantes

fn main() -> ExitCode {
    let endereco = udp_solucao::endereco();
    // ANCHOR: bind
    let socket = match UdpSocket::bind(endereco) {
        Ok(socket) => socket,
        Err(erro) => {
            eprintln!("Erro: não consegui escutar em {endereco}: {erro}");
            return ExitCode::FAILURE;
        }
    };
    // ANCHOR_END: bind
    println!("Servidor UDP escutando em {endereco}");

    // ANCHOR: laco
    let mut clientes = Clientes::new(MAX_CLIENTES);
    // Um buffer só, reaproveitado: cabe qualquer datagrama.
    let mut buffer = vec![0u8; TAMANHO_MAXIMO];
    loop {
        // Um `recv_from`, um datagrama inteiro, e o endereço de quem o enviou.
        let (tamanho, origem) = match socket.recv_from(&mut buffer) {
            Ok(recebido) => recebido,
            Err(erro) => {
                // Sem conexão, não há conversa a encerrar: mostra e segue.
                eprintln!("recv_from falhou: {erro}");
                continue;
            }
        };
        // `None`: um pedido antigo, que chegou atrasado; não há o que responder.
        let Some(resposta) = clientes.atender(origem, &buffer[..tamanho]) else {
            continue;
        };
        // A resposta vai para quem pediu: `origem`, não um endereço fixo.
        if let Err(erro) = socket.send_to(resposta.as_bytes(), origem) {
            eprintln!("não consegui responder a {origem}: {erro}");
        }
    }
    // ANCHOR_END: laco
}

// ANCHOR: separar
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
    // Só dígitos ASCII: é UTF-8, e o `parse` só falha se o número não couber.
    let seq = std::str::from_utf8(digitos).ok()?.parse().ok()?;
    Some((seq, resto.strip_prefix(b" ").unwrap_or(resto)))
}
// ANCHOR_END: separar

// ANCHOR: executar
/// Executa um pedido (sem o `seq`) e devolve a resposta (sem o `seq`).
fn executar(pedido: &[u8], total: &mut u64) -> String {
    // Converte para texto o datagrama inteiro, de uma vez: ele nunca chega pela metade.
    let Ok(texto) = std::str::from_utf8(pedido) else {
        return "ERRO o pedido não é texto UTF-8".to_owned();
    };
    let (comando, argumento) = texto.split_once(' ').unwrap_or((texto, ""));
    match comando {
        // `trim`: quem testa com `nc -u` manda o `\n` do Enter junto.
        "SOMA" => match argumento.trim().parse::<u64>() {
            Ok(n) => match total.checked_add(n) {
                Some(novo) => {
                    *total = novo;
                    format!("TOTAL {novo}")
                }
                None => "ERRO o total não cabe num número de 64 bits".to_owned(),
            },
            Err(_) => "ERRO SOMA precisa de um número inteiro sem sinal".to_owned(),
        },
        // O texto volta exatamente como veio, espaços e quebras de linha incluídos.
        "ECO" => format!("ECO {argumento}"),
        _ => "ERRO comando desconhecido (use SOMA <n> ou ECO <texto>)".to_owned(),
    }
}
// ANCHOR_END: executar

// ANCHOR: cliente
/// O que o servidor lembra de um cliente (um endereço: IP e porta).
struct Cliente {
    /// A soma de todos os `SOMA` dele.
    total: u64,
    /// O último pedido atendido (o `seq`) e a resposta dada a ele.
    ultimo: Option<(u64, String)>,
    /// Quando ele falou pela última vez, num relógio que conta pedidos.
    visto: u64,
}
// ANCHOR_END: cliente

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

    // ANCHOR: atender
    /// A resposta a um datagrama vindo de `origem`, ou `None` se ele for um pedido
    /// antigo (um `seq` menor que o último atendido).
    fn atender(&mut self, origem: SocketAddr, datagrama: &[u8]) -> Option<String> {
        let Some((seq, pedido)) = separar_seq(datagrama) else {
            // Sem número de sequência não há o que lembrar: responde 0 e esquece.
            return Some(
                "0 ERRO o pedido não começa com um número de sequência \
                 (<seq> SOMA <n> ou <seq> ECO <texto>)"
                    .to_owned(),
            );
        };
        let cliente = self.do_endereco(origem);
        if let Some((ultimo, resposta)) = &cliente.ultimo {
            if seq == *ultimo {
                // Uma retransmissão: a mesma resposta de novo, sem somar outra vez.
                return Some(resposta.clone());
            }
            if seq < *ultimo {
                // O cliente já recebeu a resposta deste (senão não teria mandado o
                // seguinte): é uma cópia atrasada pela rede. Atender seria contar de novo.
                return None;
            }
        }
        let resposta = format!("{seq} {}", executar(pedido, &mut cliente.total));
        cliente.ultimo = Some((seq, resposta.clone()));
        Some(resposta)
    }
    // ANCHOR_END: atender

    // ANCHOR: memoria
    /// O cliente de `origem`, criado se for novo. Com a tabela cheia, esquece quem
    /// está calado há mais tempo: a memória do servidor tem teto, e um cliente
    /// esquecido recomeça do total 0.
    fn do_endereco(&mut self, origem: SocketAddr) -> &mut Cliente {
        self.relogio += 1;
        if !self.por_endereco.contains_key(&origem) {
            if self.por_endereco.len() >= self.limite {
                let mais_antigo = self
                    .por_endereco
                    .iter()
                    .min_by_key(|(_, cliente)| cliente.visto)
                    .map(|(endereco, _)| *endereco);
                if let Some(endereco) = mais_antigo {
                    self.por_endereco.remove(&endereco);
                }
            }
            println!("Novo cliente: {origem}");
        }
        let cliente = self.por_endereco.entry(origem).or_insert(Cliente {
            total: 0,
            ultimo: None,
            visto: 0,
        });
        cliente.visto = self.relogio;
        cliente
    }
    // ANCHOR_END: memoria
}

#[cfg(test)]
mod testes {
    use super::*;

    fn endereco(porta: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], porta))
    }

    #[test]
    fn soma_por_endereco_e_repete_sem_contar() {
        let mut clientes = Clientes::new(8);
        let (a, b) = (endereco(1000), endereco(1001));
        assert_eq!(
            clientes.atender(a, b"1 SOMA 5").as_deref(),
            Some("1 TOTAL 5")
        );
        assert_eq!(
            clientes.atender(b, b"1 SOMA 2").as_deref(),
            Some("1 TOTAL 2")
        );
        // A retransmissão recebe a mesma resposta e não soma.
        assert_eq!(
            clientes.atender(a, b"1 SOMA 5").as_deref(),
            Some("1 TOTAL 5")
        );
        assert_eq!(
            clientes.atender(a, b"2 SOMA 1").as_deref(),
            Some("2 TOTAL 6")
        );
        // Uma cópia atrasada do pedido 1 não é atendida.
        assert_eq!(clientes.atender(a, b"1 SOMA 5"), None);
    }

    #[test]
    fn eco_e_erros() {
        let mut clientes = Clientes::new(8);
        let a = endereco(1000);
        assert_eq!(
            clientes.atender(a, b"3 ECO oi, tudo bem?\n").as_deref(),
            Some("3 ECO oi, tudo bem?\n")
        );
        for (pedido, comeco) in [
            (&b"lixo"[..], "0 ERRO "),
            (b"", "0 ERRO "),
            (b"\xff\xfe", "0 ERRO "),
            (b"4 DIVIDE 2", "4 ERRO "),
            (b"5 SOMA -1", "5 ERRO "),
            (b"6 ECO \xc3", "6 ERRO "),
            (b"7 SOMA 1", "7 TOTAL 1"),
            (b"8 SOMA 18446744073709551615", "8 ERRO "),
        ] {
            let resposta = clientes.atender(a, pedido).unwrap();
            assert!(resposta.starts_with(comeco), "{pedido:?}: {resposta}");
        }
    }

    #[test]
    fn a_memoria_tem_teto_e_esquece_o_mais_calado() {
        let mut clientes = Clientes::new(2);
        let (a, b, c) = (endereco(1), endereco(2), endereco(3));
        clientes.atender(a, b"1 SOMA 1");
        clientes.atender(b, b"1 SOMA 1");
        clientes.atender(a, b"2 SOMA 1"); // b é agora o mais calado
        clientes.atender(c, b"1 SOMA 1");
        assert_eq!(clientes.por_endereco.len(), 2);
        assert!(!clientes.por_endereco.contains_key(&b));
        assert_eq!(
            clientes.atender(a, b"3 SOMA 1").as_deref(),
            Some("3 TOTAL 3")
        );
        // b foi esquecido: recomeça do zero.
        assert_eq!(
            clientes.atender(b, b"2 SOMA 1").as_deref(),
            Some("2 TOTAL 1")
        );
    }
}
