use std::thread;

fn main() {
    // Uma closure é uma função sem nome que enxerga as variáveis de onde nasceu.
    let saudacao = String::from("Olá");
    let saudar = |nome: &str| format!("{saudacao}, {nome}!");
    println!("{}", saudar("ana"));
    println!("{}", saudar("bia"));

    // Com `move`, a closure leva consigo as variáveis que usa: passam a ser dela.
    // `thread::spawn` exige isso, porque a thread pode viver mais que quem a criou.
    let apelido = String::from("ana");
    let thread = thread::spawn(move || format!("a thread recebeu {apelido}"));
    // Daqui para baixo, `apelido` não existe mais para `main`: foi para a thread.
    // `join` espera a thread terminar e devolve o que a closure devolveu.
    println!("{}", thread.join().unwrap());
}
