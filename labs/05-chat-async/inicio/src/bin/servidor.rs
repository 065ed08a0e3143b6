//! Servidor de chat assíncrono: cada cliente ganha uma tarefa do tokio que lê o que
//! ele envia e uma tarefa que escreve o que ele deve receber. Todas compartilham a
//! sala (`Arc<Mutex<Sala>>`), e poucas threads do runtime revezam-se entre elas.
//!
//! Rode com `cargo run --bin servidor`; converse com `nc 127.0.0.1 5000` em vários
//! terminais, ou com `cargo run --bin cliente`.
//! Avalie com `cargo xtask check 05` na raiz da apostila.

// Enquanto os TODO não forem feitos, parte do que está importado ainda não é usado.
#![allow(unused_imports, unused_variables, unused_mut, dead_code)]

use std::io;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{self, Receiver};

use chat_async_inicio::protocolo::{Linha, ler_linha, validar_apelido};
use chat_async_inicio::sala::{FILA_MAXIMA, Sala, SalaCompartilhada, entregar, trancar};

/// Quantos bytes a escritora junta, no máximo, antes de um `write_all`.
const LOTE_MAXIMO: usize = 64 * 1024;

// `#[tokio::main]` cria o runtime (por padrão, uma thread por núcleo) e roda este
// `main` assíncrono nele até o fim.
#[tokio::main]
async fn main() -> ExitCode {
    let endereco = chat_async_inicio::endereco();
    let servidor = match TcpListener::bind(endereco).await {
        Ok(servidor) => servidor,
        Err(erro) => {
            eprintln!("Erro: não consegui escutar em {endereco}: {erro}");
            return ExitCode::FAILURE;
        }
    };
    println!("Servidor de chat escutando em {endereco}");

    let sala: SalaCompartilhada = Arc::new(Mutex::new(Sala::default()));
    for id in 0u64.. {
        let conexao = match servidor.accept().await {
            Ok((conexao, _)) => conexao,
            Err(erro) => {
                // Por exemplo, arquivos abertos demais (EMFILE): sem a pausa, o laço
                // tentaria de novo na hora, sem parar, gastando CPU à toa.
                eprintln!("accept falhou: {erro}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Cada tarefa leva a sua cópia do `Arc`: a mesma sala, mais um dono.
        let sala = Arc::clone(&sala);
        tokio::spawn(async move {
            if let Err(erro) = atender(id, conexao, sala).await {
                eprintln!("Conexão {id} encerrada com erro: {erro}");
            }
        });
    }
    ExitCode::SUCCESS
}

/// A vida de um cliente: apelido, conversa, saída.
async fn atender(id: u64, conexao: TcpStream, sala: SalaCompartilhada) -> io::Result<()> {
    // TODO: separe o socket com `let (leitura, escrita) = conexao.into_split();`, crie a
    //       fila com `mpsc::channel::<Arc<str>>(FILA_MAXIMA)` e a tarefa escritora com
    //       `let escritora = tokio::spawn(escrever(escrita, saida));`. Leia com
    //       `BufReader::new(leitura)`.
    // TODO: num laço, envie "APELIDO\n" com `fila.send(Arc::from("APELIDO\n")).await`,
    //       leia a resposta com `ler_linha(&mut leitor).await` e tente
    //       `trancar(&sala).entrar(id, &apelido, fila.clone(), escritora.abort_handle())`;
    //       se o apelido for inválido (`validar_apelido`) ou estiver em uso, envie
    //       "ERRO: <motivo>\n". Aceito o apelido, `entregar(&sala, pendentes).await`.
    // TODO: depois, num laço, espere com `tokio::select!` a próxima linha
    //       (`ler_linha(&mut leitor)`) ou o fim da escritora (`fila.closed()`); difunda
    //       "<apelido>: <texto>\n" com `let pendentes = trancar(&sala).difundir(...);`
    //       e `entregar(&sala, pendentes).await` (o guarda morre no fim do `let`).
    // TODO: ao sair (do jeito que for), `trancar(&sala).sair(id, &apelido)` e
    //       `entregar` o que ele devolver.
    Ok(())
}

/// A tarefa escritora: envia, na ordem, o que chega na fila. Termina quando a fila
/// fecha (o cliente saiu), quando o socket falha ou quando a sala a aborta.
async fn escrever(mut conexao: OwnedWriteHalf, mut saida: Receiver<Arc<str>>) {
    // TODO: `while let Some(linha) = saida.recv().await`: junte num `Vec<u8>` essa
    //       linha e as que já estão esperando (`saida.try_recv()`, até `LOTE_MAXIMO`
    //       bytes) e envie tudo com um só `conexao.write_all(&lote).await`; pare no
    //       primeiro erro.
    // TODO: no fim, `conexao.shutdown().await` envia o fim dos dados (FIN).
}
