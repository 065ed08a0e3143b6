//! Servidor de chat assíncrono: cada cliente ganha uma tarefa do tokio que lê o que
//! ele envia e uma tarefa que escreve o que ele deve receber. Todas compartilham a
//! sala (`Arc<Mutex<Sala>>`), e poucas threads do runtime revezam-se entre elas.
//!
//! Rode com `cargo run --bin servidor`; converse com `nc 127.0.0.1 5000` em vários
//! terminais, ou com `cargo run --bin cliente`.

// ANCHOR: usos
use std::io;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{self, Receiver};

use chat_async_solucao::protocolo::{Linha, ler_linha, validar_apelido};
use chat_async_solucao::sala::{FILA_MAXIMA, Sala, SalaCompartilhada, entregar, trancar};
// ANCHOR_END: usos

/// Quantos bytes a escritora junta, no máximo, antes de um `write_all`.
const LOTE_MAXIMO: usize = 64 * 1024;

// ANCHOR: main
// `#[tokio::main]` cria o runtime (por padrão, uma thread por núcleo) e roda este
// `main` assíncrono nele até o fim.
#[tokio::main]
async fn main() -> ExitCode {
    let endereco = chat_async_solucao::endereco();
    let servidor = match TcpListener::bind(endereco).await {
        Ok(servidor) => servidor,
        Err(erro) => {
            eprintln!("Erro: não consegui escutar em {endereco}: {erro}");
            return ExitCode::FAILURE;
        }
    };
    println!("Servidor de chat escutando em {endereco}");
    // ANCHOR_END: main

    // ANCHOR: aceitar
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
    // ANCHOR_END: aceitar
    ExitCode::SUCCESS
}

// ANCHOR: atender
/// A vida de um cliente: apelido, conversa, saída.
async fn atender(id: u64, conexao: TcpStream, sala: SalaCompartilhada) -> io::Result<()> {
    // ANCHOR: escritora
    // `into_split` separa o socket em duas metades com dono: a de leitura fica com
    // esta tarefa, a de escrita vai para a escritora. Tudo o que este cliente recebe
    // passa pela fila, e só a escritora escreve no socket dele.
    let (leitura, escrita) = conexao.into_split();
    let (fila, saida) = mpsc::channel::<Arc<str>>(FILA_MAXIMA);
    let escritora = tokio::spawn(escrever(escrita, saida));
    // ANCHOR_END: escritora
    let mut leitor = BufReader::new(leitura);

    // ANCHOR: apelido
    let apelido = loop {
        // `send(...).await` espera se a fila estiver cheia; aqui pode, porque a fila
        // é deste cliente e nenhum cadeado está na mão. Só falha se a escritora já
        // terminou (o socket quebrou): não há a quem perguntar.
        if fila.send(Arc::from("APELIDO\n")).await.is_err() {
            return Ok(());
        }
        let apelido = match ler_linha(&mut leitor).await? {
            Linha::Texto(apelido) => apelido,
            Linha::Fim | Linha::Grande => return Ok(()),
        };
        // O guarda de `trancar` vive só dentro da closure, que não tem `.await`.
        // ANCHOR: entrada
        let entrada = validar_apelido(&apelido).and_then(|()| {
            trancar(&sala).entrar(id, &apelido, fila.clone(), escritora.abort_handle())
        });
        // ANCHOR_END: entrada
        match entrada {
            Ok(pendentes) => {
                // O aviso de entrada que não coube em alguma fila: agora, sem o cadeado.
                entregar(&sala, pendentes).await;
                break apelido;
            }
            Err(motivo) => {
                let _ = fila.send(Arc::from(format!("ERRO: {motivo}\n"))).await;
            }
        }
    };
    println!("{apelido} entrou (conexão {id})");
    // ANCHOR_END: apelido

    // ANCHOR: conversar
    let resultado = loop {
        // Duas esperas ao mesmo tempo: a próxima linha do cliente, ou o fim da
        // escritora (a sala a derrubou porque ele ficou para trás, ou o socket
        // falhou). Sem a segunda, esta tarefa ficaria lendo alguém já expulso.
        // ANCHOR: select
        let linha = tokio::select! {
            linha = ler_linha(&mut leitor) => linha,
            () = fila.closed() => break Ok(()),
        };
        // ANCHOR_END: select
        match linha {
            // O servidor escreve o nome: ninguém fala em nome de outro. O guarda de
            // `trancar` morre no fim do `let`: o cadeado já está aberto quando
            // `entregar` espera, e quando o laço volta a ler.
            Ok(Linha::Texto(texto)) => {
                let pendentes =
                    trancar(&sala).difundir(Some(&apelido), format!("{apelido}: {texto}\n"));
                entregar(&sala, pendentes).await;
            }
            Ok(Linha::Fim) => break Ok(()),
            Ok(Linha::Grande) => {
                eprintln!("{apelido} enviou uma linha grande demais; desconectado");
                break Ok(());
            }
            Err(erro) => break Err(erro),
        }
    };
    // Saiu do jeito que for (EOF, erro, reset, expulsão): os outros precisam saber.
    let pendentes = trancar(&sala).sair(id, &apelido);
    entregar(&sala, pendentes).await;
    println!("{apelido} saiu (conexão {id})");
    resultado
    // ANCHOR_END: conversar
}
// ANCHOR_END: atender

// ANCHOR: escrever
/// A tarefa escritora: envia, na ordem, o que chega na fila. Termina quando a fila
/// fecha (o cliente saiu), quando o socket falha ou quando a sala a aborta.
async fn escrever(mut conexao: OwnedWriteHalf, mut saida: Receiver<Arc<str>>) {
    let mut lote = Vec::new();
    // `recv` espera (sem ocupar a thread) até haver uma linha; `None` quando não
    // sobra ninguém com a outra ponta da fila.
    while let Some(linha) = saida.recv().await {
        lote.extend_from_slice(linha.as_bytes());
        // Com mil clientes, cada aviso de entrada acorda mil escritoras. Escrever
        // linha por linha seria uma chamada ao sistema (e um segmento TCP) por
        // linha; juntar o que já está esperando na fila, sem esperar mais nada
        // (`try_recv`), manda tudo num `write_all` só. O teto mantém o lote pequeno
        // mesmo se a fila for enchendo enquanto ele é montado.
        // ANCHOR: lote
        while lote.len() < LOTE_MAXIMO {
            match saida.try_recv() {
                Ok(linha) => lote.extend_from_slice(linha.as_bytes()),
                Err(_) => break,
            }
        }
        // ANCHOR_END: lote
        if conexao.write_all(&lote).await.is_err() {
            break;
        }
        lote.clear();
    }
    // Envia o fim dos dados (FIN); o socket fecha quando a metade de leitura também
    // for descartada, no fim de `atender`.
    let _ = conexao.shutdown().await;
}
// ANCHOR_END: escrever
