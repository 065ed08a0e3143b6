//! Cliente HTTP: `cliente http://127.0.0.1:<porta>/<caminho>` envia um `GET`,
//! imprime a linha de status e o corpo, e termina.
//!
//! O corpo termina onde o `Content-Length` diz; sem ele, quando o servidor fecha a
//! conexão. Códigos de saída: 0 tudo certo (mesmo um 404: a conversa deu certo), 1
//! uso errado ou resposta inválida, 2 conexão recusada, 3 servidor calado além do
//! prazo, 4 conexão perdida antes do fim do corpo.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("Erro: uso: cliente http://127.0.0.1:<porta>/<caminho>");
        return ExitCode::from(1);
    };
    // TODO (cliente): separe `url` em host, porta (80 se faltar) e caminho (`/` se
    //       faltar) e conecte com `TcpStream::connect((host, porta))`. Conexão
    //       recusada: `Erro: ...` na saída de erro e código 2.
    // TODO (cliente): envie `GET <caminho> HTTP/1.1`, `Host: <host>:<porta>` e
    //       `Connection: close`, cada linha com `\r\n`, e a linha vazia no fim.
    // TODO (cliente): leia a linha de status e os cabeçalhos até a linha vazia,
    //       guardando o `Content-Length`. Imprima a linha de status e copie o corpo
    //       para a saída: exatamente `Content-Length` bytes (`take`), ou tudo até o
    //       servidor fechar quando ele não vier. Corpo cortado: código 4.
    eprintln!(
        "Erro: o cliente ainda não foi escrito (veja os TODO em src/bin/cliente.rs); pedido: {url}"
    );
    ExitCode::from(1)
}
