use std::thread;

fn main() {
    let apelido = String::from("ana");
    // Sem `move`, a closure só pegaria `apelido` emprestado, e o compilador não
    // sabe se `main` (a dona) vai viver até a thread terminar: recusa.
    let thread = thread::spawn(|| println!("a thread recebeu {apelido}"));
    thread.join().unwrap();
}
