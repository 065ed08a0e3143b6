//! Ler um pedido HTTP/1.1 do fluxo de bytes: a linha do pedido, os cabeçalhos até a
//! linha vazia, cada um com um teto. Quem manda os bytes é um estranho: sem teto,
//! uma "linha" de 10 GB acabaria com a memória do servidor.

use std::io::{self, BufRead, Read};

use crate::resposta::Status;

// ANCHOR: limites
/// O maior tamanho da linha do pedido (`GET /alvo HTTP/1.1\r\n`): passou disso,
/// `414 URI Too Long`.
pub const LIMITE_DA_LINHA: usize = 8 * 1024;
/// O maior tamanho de todos os cabeçalhos juntos: passou disso,
/// `431 Request Header Fields Too Large`.
pub const LIMITE_DOS_CABECALHOS: usize = 8 * 1024;
// ANCHOR_END: limites

// ANCHOR: requisicao
/// Um pedido já lido: a linha do pedido separada em três e os cabeçalhos, com os
/// nomes em minúsculas (no HTTP, `Host` e `host` são o mesmo cabeçalho).
#[derive(Debug)]
pub struct Requisicao {
    pub metodo: String,
    pub alvo: String,
    pub versao: String,
    pub cabecalhos: Vec<(String, String)>,
}
// ANCHOR_END: requisicao

impl Requisicao {
    /// O valor do cabeçalho `nome` (em minúsculas), se veio.
    pub fn cabecalho(&self, nome: &str) -> Option<&str> {
        self.cabecalhos
            .iter()
            .find(|(n, _)| n == nome)
            .map(|(_, v)| v.as_str())
    }

    // ANCHOR: quer_fechar
    /// Se a conexão fecha depois da resposta. No HTTP/1.1 ela continua aberta
    /// (keep-alive), a não ser que o cliente peça `Connection: close`; no HTTP/1.0,
    /// o padrão era fechar.
    pub fn quer_fechar(&self) -> bool {
        let pede = |opcao: &str| {
            self.cabecalho("connection").is_some_and(|valor| {
                valor
                    .split(',')
                    .any(|item| item.trim().eq_ignore_ascii_case(opcao))
            })
        };
        if self.versao == "HTTP/1.0" {
            !pede("keep-alive")
        } else {
            pede("close")
        }
    }
    // ANCHOR_END: quer_fechar
}

/// Por que não saiu um pedido.
#[derive(Debug)]
pub enum Falha {
    /// O pedido está errado: o servidor responde com este status e fecha.
    Responder(Status),
    /// O cliente fechou a conexão, sumiu ou ficou calado além do prazo: não há a
    /// quem responder.
    Encerrar,
    /// Outro erro de leitura.
    Io(io::Error),
}

impl From<io::Error> for Falha {
    fn from(erro: io::Error) -> Falha {
        match erro.kind() {
            // `set_read_timeout` esgotado: o Linux diz WouldBlock, o Windows TimedOut.
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Falha::Encerrar,
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => Falha::Encerrar,
            _ => Falha::Io(erro),
        }
    }
}

// ANCHOR: ler_linha
/// Lê uma linha terminada em `\n`, de no máximo `limite` bytes, sem o `\r\n`.
/// `Ok(None)`: a linha passou do limite. `Err(Encerrar)`: a conexão acabou antes
/// do `\n`.
fn ler_linha(leitor: &mut impl BufRead, limite: usize) -> Result<Option<Vec<u8>>, Falha> {
    let mut linha = Vec::new();
    // `take` põe o teto: `read_until` nunca junta mais que `limite + 1` bytes,
    // por mais que o cliente mande sem um `\n`.
    leitor
        .by_ref()
        .take(limite as u64 + 1)
        .read_until(b'\n', &mut linha)?;
    if linha.last() != Some(&b'\n') {
        return if linha.len() > limite {
            Ok(None)
        } else {
            // Menos que o limite e sem `\n`: a conexão fechou no meio da linha.
            Err(Falha::Encerrar)
        };
    }
    linha.pop();
    if linha.last() == Some(&b'\r') {
        linha.pop();
    }
    Ok(Some(linha))
}
// ANCHOR_END: ler_linha

// ANCHOR: ler_requisicao
/// Lê o próximo pedido da conexão. `Err(Encerrar)` logo de cara é o fim normal
/// de uma conexão keep-alive: o cliente fechou, ou ficou calado além do prazo.
pub fn ler_requisicao(leitor: &mut impl BufRead) -> Result<Requisicao, Falha> {
    // Linhas vazias antes do pedido são toleradas (a RFC 9112 pede isso).
    let linha = loop {
        match ler_linha(leitor, LIMITE_DA_LINHA)? {
            None => return Err(Falha::Responder(Status::URI_TOO_LONG)),
            Some(linha) if linha.is_empty() => continue,
            Some(linha) => break linha,
        }
    };
    let (metodo, alvo, versao) =
        separar_linha_do_pedido(&linha).ok_or(Falha::Responder(Status::BAD_REQUEST))?;

    let mut cabecalhos = Vec::new();
    let mut restam = LIMITE_DOS_CABECALHOS;
    loop {
        let Some(linha) = ler_linha(leitor, restam)? else {
            return Err(Falha::Responder(Status::HEADERS_TOO_LARGE));
        };
        if linha.is_empty() {
            break;
        }
        // O teto vale para todos os cabeçalhos juntos, contando o `\r\n` de cada um.
        restam = restam.saturating_sub(linha.len() + 2);
        let cabecalho = separar_cabecalho(&linha).ok_or(Falha::Responder(Status::BAD_REQUEST))?;
        cabecalhos.push(cabecalho);
    }
    Ok(Requisicao {
        metodo,
        alvo,
        versao,
        cabecalhos,
    })
}
// ANCHOR_END: ler_requisicao

// ANCHOR: separar
/// `GET /index.html HTTP/1.1` em três partes, separadas por um espaço cada. O
/// método é só de letras maiúsculas, o alvo começa com `/` e a versão é 1.0 ou 1.1.
fn separar_linha_do_pedido(linha: &[u8]) -> Option<(String, String, String)> {
    let linha = std::str::from_utf8(linha).ok()?;
    let mut partes = linha.split(' ');
    let (metodo, alvo, versao) = (partes.next()?, partes.next()?, partes.next()?);
    let metodo_ok = !metodo.is_empty() && metodo.bytes().all(|b| b.is_ascii_uppercase());
    let alvo_ok = alvo.starts_with('/') && !alvo.bytes().any(|b| b.is_ascii_control());
    let versao_ok = versao == "HTTP/1.1" || versao == "HTTP/1.0";
    if partes.next().is_some() || !metodo_ok || !alvo_ok || !versao_ok {
        return None;
    }
    Some((metodo.to_owned(), alvo.to_owned(), versao.to_owned()))
}

/// `Host: 127.0.0.1:8080` em (`host`, `127.0.0.1:8080`). O nome não pode ter
/// espaços (nem antes dos dois-pontos); o valor perde os espaços das pontas.
fn separar_cabecalho(linha: &[u8]) -> Option<(String, String)> {
    let linha = std::str::from_utf8(linha).ok()?;
    let (nome, valor) = linha.split_once(':')?;
    if nome.is_empty()
        || nome
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return None;
    }
    Some((nome.to_ascii_lowercase(), valor.trim().to_owned()))
}
// ANCHOR_END: separar

#[cfg(test)]
mod testes {
    use super::*;

    fn ler(bytes: &[u8]) -> Result<Requisicao, Falha> {
        ler_requisicao(&mut io::BufReader::new(bytes))
    }

    #[test]
    fn le_um_pedido_e_os_cabecalhos() {
        let r = ler(b"GET /a%20b HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n").unwrap();
        assert_eq!((r.metodo.as_str(), r.alvo.as_str()), ("GET", "/a%20b"));
        assert_eq!(r.cabecalho("host"), Some("x"));
        assert!(r.quer_fechar());
    }

    #[test]
    fn recusa_o_que_esta_errado_ou_grande_demais() {
        let status = |bytes: &[u8]| match ler(bytes) {
            Err(Falha::Responder(s)) => Some(s.codigo),
            _ => None,
        };
        assert_eq!(status(b"oi\r\n\r\n"), Some(400));
        assert_eq!(status(b"GET / FTP/1.0\r\n\r\n"), Some(400));
        let alvo = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(9000));
        assert_eq!(status(alvo.as_bytes()), Some(414));
        let grandes = format!("GET / HTTP/1.1\r\n{}\r\n", "X-A: b\r\n".repeat(1200));
        assert_eq!(status(grandes.as_bytes()), Some(431));
        assert!(matches!(ler(b"GET / HT"), Err(Falha::Encerrar)));
    }
}
