//! Lab 01: the server accepts one connection, sends the welcome and exits; the
//! client reads until the server closes and prints what it got.

use std::future::Future;
use std::pin::Pin;

use crate::catalog::Role;
use crate::session::{Conn, Flow, Session};

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
