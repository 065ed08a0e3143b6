use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::thread;

/// Tenta pôr uma linha num canal limitado e conta o que aconteceu.
fn tentar(fila: &SyncSender<String>, linha: &str) {
    match fila.try_send(linha.to_owned()) {
        Ok(()) => println!("{linha}: entrou na fila"),
        Err(TrySendError::Full(_)) => println!("{linha}: fila cheia"),
        Err(TrySendError::Disconnected(_)) => println!("{linha}: ninguém recebe"),
    }
}

fn main() {
    // Um canal é uma fila entre threads: `tx` põe, `rx` tira, na ordem.
    let (tx, rx) = mpsc::channel();
    let produtora = thread::spawn(move || {
        for i in 1..=3 {
            tx.send(format!("linha {i}")).unwrap();
        }
        // `tx` morre aqui, com a thread: o canal fecha, e o `for` abaixo termina.
    });
    for linha in rx {
        println!("recebi {linha}");
    }
    produtora.join().unwrap();

    // `sync_channel(1)`: um canal limitado, com lugar para uma linha só.
    // `try_send` nunca espera: ou a linha cabe, ou ele diz por que não coube.
    let (fila, saida) = mpsc::sync_channel(1);
    tentar(&fila, "primeira");
    tentar(&fila, "segunda");
    println!("tirei {}", saida.recv().unwrap());
    tentar(&fila, "terceira");
    drop(saida);
    tentar(&fila, "quarta");
}
