//! Servidor de chat com threads: cada cliente ganha uma thread que lê o que ele
//! envia e uma thread que escreve o que ele deve receber. Todas compartilham a
//! sala (`Arc<Mutex<Sala>>`).
//!
//! Rode com `cargo run --bin servidor`; converse com `nc 127.0.0.1 5000` em vários
//! terminais, ou com `cargo run --bin cliente`.

// ANCHOR: usos
use std::io::{self, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;

use chat_solucao::protocolo::{Linha, ler_linha, validar_apelido};
use chat_solucao::sala::{FILA_MAXIMA, Sala, SalaCompartilhada, trancar};
// ANCHOR_END: usos

fn main() -> ExitCode {
    let endereco = chat_solucao::endereco();
    let servidor = match TcpListener::bind(endereco) {
        Ok(servidor) => servidor,
        Err(erro) => {
            eprintln!("Erro: não consegui escutar em {endereco}: {erro}");
            return ExitCode::FAILURE;
        }
    };
    println!("Servidor de chat escutando em {endereco}");

    // ANCHOR: aceitar
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
    // ANCHOR_END: aceitar
    ExitCode::SUCCESS
}

// ANCHOR: atender
/// A vida de um cliente: apelido, conversa, saída.
fn atender(id: u64, conexao: TcpStream, sala: SalaCompartilhada) -> io::Result<()> {
    // ANCHOR: escritora
    // Tudo o que este cliente recebe passa pela fila, e só a thread escritora
    // escreve no socket dele: nenhuma outra thread fica presa num cliente lento.
    let (fila, saida) = mpsc::sync_channel::<String>(FILA_MAXIMA);
    let escritor = conexao.try_clone()?;
    thread::spawn(move || escrever(escritor, saida));
    // ANCHOR_END: escritora
    let mut leitor = BufReader::new(conexao.try_clone()?);

    // ANCHOR: apelido
    let apelido = loop {
        let _ = fila.send("APELIDO\n".to_owned());
        let apelido = match ler_linha(&mut leitor)? {
            Linha::Texto(apelido) => apelido,
            Linha::Fim | Linha::Grande => return Ok(()),
        };
        // ANCHOR: entrada
        let entrada = validar_apelido(&apelido).and_then(|()| {
            trancar(&sala).entrar(
                id,
                &apelido,
                fila.clone(),
                conexao.try_clone().map_err(|e| e.to_string())?,
            )
        });
        // ANCHOR_END: entrada
        match entrada {
            Ok(()) => break apelido,
            Err(motivo) => {
                let _ = fila.send(format!("ERRO: {motivo}\n"));
            }
        }
    };
    println!("{apelido} entrou (conexão {id})");
    // ANCHOR_END: apelido

    // ANCHOR: conversar
    let resultado = loop {
        match ler_linha(&mut leitor) {
            // O servidor escreve o nome: ninguém fala em nome de outro.
            // ANCHOR: difundir-linha
            Ok(Linha::Texto(texto)) => {
                trancar(&sala).difundir(Some(&apelido), format!("{apelido}: {texto}\n"));
            }
            // ANCHOR_END: difundir-linha
            Ok(Linha::Fim) => break Ok(()),
            Ok(Linha::Grande) => {
                eprintln!("{apelido} enviou uma linha grande demais; desconectado");
                break Ok(());
            }
            Err(erro) => break Err(erro),
        }
    };
    // Saiu do jeito que for (EOF, erro, reset): os outros precisam saber.
    trancar(&sala).sair(id, &apelido);
    println!("{apelido} saiu (conexão {id})");
    resultado
    // ANCHOR_END: conversar
}
// ANCHOR_END: atender

// ANCHOR: escrever
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
// ANCHOR_END: escrever
