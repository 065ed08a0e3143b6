//! Ler um pedido HTTP/1.1 do fluxo de bytes: a linha do pedido, os cabeçalhos até a
//! linha vazia, cada um com um teto. Quem manda os bytes é um estranho: sem teto,
//! uma "linha" de 10 GB acabaria com a memória do servidor.

use std::io::{self, BufRead};

use crate::resposta::Status;

/// O maior tamanho da linha do pedido (`GET /alvo HTTP/1.1\r\n`): passou disso,
/// `414 URI Too Long`.
pub const LIMITE_DA_LINHA: usize = 8 * 1024;
/// O maior tamanho de todos os cabeçalhos juntos: passou disso,
/// `431 Request Header Fields Too Large`.
pub const LIMITE_DOS_CABECALHOS: usize = 8 * 1024;

/// Um pedido já lido: a linha do pedido separada em três e os cabeçalhos, com os
/// nomes em minúsculas (no HTTP, `Host` e `host` são o mesmo cabeçalho).
#[derive(Debug)]
pub struct Requisicao {
    pub metodo: String,
    pub alvo: String,
    pub versao: String,
    pub cabecalhos: Vec<(String, String)>,
}

impl Requisicao {
    /// O valor do cabeçalho `nome` (em minúsculas), se veio.
    pub fn cabecalho(&self, nome: &str) -> Option<&str> {
        self.cabecalhos
            .iter()
            .find(|(n, _)| n == nome)
            .map(|(_, v)| v.as_str())
    }

    /// Se a conexão fecha depois da resposta.
    pub fn quer_fechar(&self) -> bool {
        // TODO (keep-alive): no HTTP/1.1 a conexão continua aberta, a não ser que o
        //       cabeçalho `connection` traga `close` (compare sem ligar para
        //       maiúsculas); no HTTP/1.0 o padrão é fechar. Por enquanto, fecha sempre.
        true
    }
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

/// Lê o próximo pedido da conexão. `Err(Encerrar)` logo de cara é o fim normal
/// de uma conexão keep-alive: o cliente fechou, ou ficou calado além do prazo.
pub fn ler_requisicao(leitor: &mut impl BufRead) -> Result<Requisicao, Falha> {
    // TODO (anatomia do pedido): leia a primeira linha até o `\n` (`read_until`) e
    //       tire o `\r\n` do fim. Separe-a por espaços em método, alvo e versão: são
    //       exatamente três partes, o alvo começa com `/` e a versão é `HTTP/1.1` ou
    //       `HTTP/1.0`; qualquer outra coisa é `Falha::Responder(Status::BAD_REQUEST)`.
    // TODO (anatomia do pedido): leia os cabeçalhos, um por linha, até a linha vazia.
    //       Cada um é `Nome: valor`; guarde o nome em minúsculas e o valor sem os
    //       espaços das pontas. Uma linha sem `:` também é um 400.
    // TODO (limites): leia cada linha com `leitor.by_ref().take(limite + 1)`: uma linha
    //       do pedido maior que LIMITE_DA_LINHA é um 414 (URI_TOO_LONG); cabeçalhos
    //       que juntos passam de LIMITE_DOS_CABECALHOS, um 431 (HEADERS_TOO_LARGE).
    // TODO (limites): a conexão que acaba antes do `\n` é `Falha::Encerrar`.
    let _ = leitor;
    Err(Falha::Encerrar)
}
