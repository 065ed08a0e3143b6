//! Lab 01: the server accepts one connection, sends the welcome and exits; the
//! client reads until the server closes and prints what it got.

use std::future::Future;
use std::pin::Pin;

use crate::lab::{Lab, Role, Step};
use crate::session::{Conn, Flow, Session};

/// Lab entry for the catalogue ([`crate::catalog::LABS`]).
pub const LAB: Lab = Lab {
    number: "01",
    dir: "01-basico",
    title: "Servidor básico e cliente básico",
    chapters: &[
        "01-basico/servidor-basico.md",
        "01-basico/cliente-basico.md",
    ],
    server,
    client,
    server_runs_forever: false,
    steps: &[
        Step {
            id: "conecta",
            role: Role::Server,
            title: "o servidor aceita uma conexão em 127.0.0.1 na PORTA",
            hint: "O servidor cria o TcpListener com `TcpListener::bind(endereco)`, usando o \
                   endereço de `endereco()` (que já lê a PORTA), e em seguida espera um \
                   cliente com `accept()`.",
            book: "01-basico/servidor-basico.md#bind",
            required: true,
        },
        Step {
            id: "boas-vindas",
            role: Role::Server,
            title: "o servidor envia exatamente \"Bem-vindo ao servidor!\"",
            hint: "Envie exatamente os bytes de `Bem-vindo ao servidor!`: sem `\\n` no fim e \
                   sem espaços a mais. Use `write_all`: um `write` simples pode enviar só \
                   uma parte.",
            book: "01-basico/servidor-basico.md#enviar",
            required: true,
        },
        Step {
            id: "fecha",
            role: Role::Server,
            title: "o servidor fecha a conexão depois de enviar",
            hint: "Depois de enviar, feche a conexão: em Rust o socket fecha quando sai de \
                   escopo, ou com `drop(conexao)`. Enquanto ela estiver aberta, o cliente não \
                   sabe que a mensagem acabou.",
            book: "01-basico/servidor-basico.md#fechar",
            required: true,
        },
        Step {
            id: "encerra",
            role: Role::Server,
            title: "o servidor termina com código 0",
            hint: "O servidor do laboratório 01 atende um único cliente e termina, devolvendo \
                   `Ok(())` de `servir()`. Um `accept()` dentro de um laço o faria esperar \
                   para sempre.",
            book: "01-basico/servidor-basico.md#terminar",
            required: true,
        },
        Step {
            id: "cliente-conecta",
            role: Role::Client,
            title: "o cliente conecta ao servidor (o corretor faz o papel dele)",
            hint: "O cliente conecta com `TcpStream::connect(endereco)`, usando o endereço \
                   de `endereco()`, que já lê a PORTA.",
            book: "01-basico/cliente-basico.md#connect",
            required: true,
        },
        Step {
            id: "cliente-imprime",
            role: Role::Client,
            title: "o cliente lê até o fim, imprime a mensagem e termina com código 0",
            hint: "Leia tudo até o servidor fechar a conexão, com `read_to_end`, e só então \
                   imprima a mensagem, por exemplo `Mensagem recebida: ...`.",
            book: "01-basico/cliente-basico.md#ler-ate-o-fim",
            required: true,
        },
        Step {
            id: "cliente-aleatorio",
            role: Role::Client,
            title: "o cliente imprime uma mensagem sorteada nesta execução",
            hint: "Desta vez o servidor enviou um texto sorteado: o cliente deve imprimir o \
                   que recebeu, não um texto fixo.",
            book: "01-basico/cliente-basico.md#imprimir",
            required: true,
        },
    ],
};

pub fn server(s: &mut Session) -> Pin<Box<dyn Future<Output = Flow> + '_>> {
    Box::pin(servidor(s))
}

pub fn client(s: &mut Session) -> Pin<Box<dyn Future<Output = Flow> + '_>> {
    Box::pin(cliente(s))
}

async fn servidor(s: &mut Session) -> Flow {
    s.begin("conecta")?;
    s.start(Role::Server).await?;
    let mut conn = s.connect("cliente 1").await?;
    s.end().await?;

    // Read until the server closes: the welcome may arrive in several pieces.
    s.begin("boas-vindas")?;
    s.receive_until_close(&mut conn).await;
    s.end().await?;

    s.begin("fecha")?;
    s.say_how_it_ended(&conn);
    s.end().await?;

    s.begin("encerra")?;
    s.wait_exit(Role::Server).await?;
    s.end().await?;
    s.stop(Role::Server).await;
    Ok(())
}

/// The welcome the grader sends when it plays the tutorial's server.
const BOAS_VINDAS: &str = "Bem-vindo ao servidor!";

async fn cliente(s: &mut Session) -> Flow {
    s.begin("cliente-conecta")?;
    let listener = s.listen().await?;
    s.start(Role::Client).await?;
    let conn = s.accept(&listener).await?;
    s.end().await?;

    s.begin("cliente-imprime")?;
    deliver(s, conn, BOAS_VINDAS).await?;
    s.end().await?;
    s.stop(Role::Client).await;

    // A second run with a message drawn for this run: printing a fixed text fails.
    s.begin("cliente-aleatorio")?;
    let message = format!("Bem-vindo de novo! Palavra sorteada: {}", s.random_word());
    s.start(Role::Client).await?;
    let conn = s.accept(&listener).await?;
    deliver(s, conn, &message).await?;
    s.end().await?;
    s.stop(Role::Client).await;
    Ok(())
}

/// Sends `message`, closes, waits for the client to exit and checks it printed it.
async fn deliver(s: &mut Session, mut conn: Conn, message: &str) -> Flow {
    s.send(&mut conn, message.as_bytes()).await?;
    s.close(conn).await;
    s.wait_exit(Role::Client).await?;
    s.expect_printed(message).await;
    Ok(())
}
