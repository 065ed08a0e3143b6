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
    // TODO (escritora): separe o socket em leitura e escrita, crie a fila limitada
    //       deste cliente e uma tarefa escritora que a esvazia no socket.
    // TODO (apelido): pergunte o apelido até um válido e livre, como no laboratório
    //       03; depois da entrada, entregue o que a difusão deixou pendente.
    // TODO (conversa): difunda cada linha do cliente aos outros, com o apelido na
    //       frente, até o fim da conexão. Espere também o fim da escritora: a sala
    //       pode ter expulsado este cliente.
    // TODO (saída): seja qual for o fim da conversa, tire o cliente da sala e
    //       entregue o aviso pendente.
    Ok(())
}

/// A tarefa escritora: envia, na ordem, o que chega na fila. Termina quando a fila
/// fecha (o cliente saiu), quando o socket falha ou quando a sala a aborta.
async fn escrever(mut conexao: OwnedWriteHalf, mut saida: Receiver<Arc<str>>) {
    // TODO (escrever): envie ao socket, na ordem, cada linha que chegar na fila;
    //       quando a escritora acordar, junte num lote só (até `LOTE_MAXIMO` bytes)
    //       as linhas que já estiverem esperando. Pare no primeiro erro.
    // TODO (escrever): quando a fila fechar, envie o fim dos dados (FIN).
}
