use std::sync::{Arc, Mutex};
use std::thread;

fn main() {
    // `Mutex`: uma thread por vez mexe no número. `Arc`: várias threads são donas dele.
    let contador = Arc::new(Mutex::new(0));

    // `Arc::clone` não copia o contador: cria mais um dono do mesmo valor.
    let outro_dono = Arc::clone(&contador);
    println!("donos do contador: {}", Arc::strong_count(&contador));
    drop(outro_dono);
    println!("donos do contador: {}", Arc::strong_count(&contador));

    let mut threads = Vec::new();
    for _ in 0..4 {
        let contador = Arc::clone(&contador); // a cópia que vai para a thread
        threads.push(thread::spawn(move || {
            for _ in 0..1000 {
                // `lock()` espera o cadeado e devolve um guarda; o `+= 1` passa por
                // ele, e o cadeado abre quando o guarda morre, no fim da instrução.
                *contador.lock().unwrap() += 1;
            }
        }));
    }
    for thread in threads {
        thread.join().unwrap();
    }
    println!("total: {}", *contador.lock().unwrap());
}
