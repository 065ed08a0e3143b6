//! Servidor de chat com threads: cada cliente ganha uma thread que lê o que ele
//! envia e uma thread que escreve o que ele deve receber. Todas compartilham a
//! sala (`Arc<Mutex<Sala>>`).
//!
//! Rode com `cargo run --bin servidor`; converse com `nc 127.0.0.1 5000` em vários
//! terminais, ou com `cargo run --bin cliente`.
//! Avalie com `cargo xtask check 03` na raiz da apostila.

// Enquanto os TODO não forem feitos, parte do que está importado ainda não é usado.
#![allow(unused_imports, unused_variables, unused_mut, dead_code)]

use std::io::{self, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;

use chat_inicio::protocolo::{Linha, ler_linha, validar_apelido};
use chat_inicio::sala::{FILA_MAXIMA, Sala, SalaCompartilhada, trancar};

fn main() -> ExitCode {
    let endereco = chat_inicio::endereco();
    let servidor = match TcpListener::bind(endereco) {
        Ok(servidor) => servidor,
        Err(erro) => {
            eprintln!("Erro: não consegui escutar em {endereco}: {erro}");
            return ExitCode::FAILURE;
        }
    };
    println!("Servidor de chat escutando em {endereco}");

    let sala: SalaCompartilhada = Arc::new(Mutex::new(Sala::default()));
    for (id, conexao) in (0u64..).zip(servidor.incoming()) {
        let conexao = match conexao {
            Ok(conexao) => conexao,
            Err(erro) => {
                eprintln!("accept falhou: {erro}");
                continue;
            }
        };
        // Cada thread leva a sua cópia do `Arc`: a mesma sala, mais um dono.
        let sala = Arc::clone(&sala);
        thread::spawn(move || {
            if let Err(erro) = atender(id, conexao, sala) {
                eprintln!("Conexão {id} encerrada com erro: {erro}");
            }
        });
    }

    ExitCode::SUCCESS
}

/// A vida de um cliente: apelido, conversa, saída.
fn atender(id: u64, conexao: TcpStream, sala: SalaCompartilhada) -> io::Result<()> {
    // A fila deste cliente e a thread escritora, que é a única a escrever no socket
    // dele (o porquê está em "O cliente lento", no capítulo). Tudo o que ele deve
    // receber, `APELIDO` inclusive, vai por `fila`.
    let (fila, saida) = mpsc::sync_channel::<String>(FILA_MAXIMA);
    let escritor = conexao.try_clone()?;
    thread::spawn(move || escrever(escritor, saida));
    let mut leitor = BufReader::new(conexao.try_clone()?);

    // TODO (apelido): pergunte "APELIDO\n" e leia a resposta com `ler_linha`, até um
    //       apelido válido (`validar_apelido`) e livre (`Sala::entrar`, com a sala
    //       trancada); a cada recusa, envie "ERRO: <motivo>\n". Se a conexão acabar
    //       antes, termine sem avisar ninguém.
    // TODO (conversa): leia as linhas do cliente até o fim e difunda cada uma para os
    //       outros como "<apelido>: <texto>\n". O nome vem do apelido aceito, nunca
    //       do texto.
    // TODO (saída): seja qual for o fim da conversa (EOF, linha grande demais, erro
    //       ou reset), tire o cliente da sala com `Sala::sair` antes de terminar.
    Ok(())
}

/// A thread escritora: envia, na ordem, o que chega na fila. Termina quando a
/// fila fecha (o cliente saiu) ou quando o socket falha.
fn escrever(mut conexao: TcpStream, saida: Receiver<String>) {
    for linha in saida {
        if conexao.write_all(linha.as_bytes()).is_err() {
            break;
        }
    }
    let _ = conexao.shutdown(Shutdown::Both);
}
