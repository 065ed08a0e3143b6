//! Lab 05: the chat of lab 03 on tokio tasks. The scenario is lab 03's (see
//! `chat.rs`), plus a thousand clients at once; the steps are lab 03's, their
//! hints pointing to the async chapter.

use super::chat;
use crate::lab::{Lab, Role, Step, join_steps};

/// Lab entry for the catalogue ([`crate::catalog::LABS`]).
pub const LAB: Lab = Lab {
    number: "05",
    dir: "05-chat-async",
    title: "Chat assíncrono com tokio; threads vs async",
    chapters: &[
        "05-chat-async/servidor-async.md",
        "05-chat-async/threads-vs-async.md",
    ],
    server: chat::async_server,
    client: chat::client,
    server_runs_forever: true,
    steps: &join_steps::<17>(&[&ROOM_STEPS, &[MIL_CLIENTES], &CLIENT_STEPS]),
};

/// Lab 05's server steps: lab 03's checks and hints, each pointing to where the
/// async chapter covers it (which links back to lab 03 for protocol details). The
/// load steps say "task", not "thread".
const ROOM_STEPS: [Step; 11] = {
    const fn at(step: Step, book: &'static str) -> Step {
        Step { book, ..step }
    }
    let r = chat::ROOM_STEPS;
    [
        at(r[0], "05-chat-async/servidor-async.md#protocolo"),
        at(r[1], "05-chat-async/servidor-async.md#sala"),
        at(r[2], "05-chat-async/servidor-async.md#difusao-limitada"),
        at(r[3], "05-chat-async/servidor-async.md#difusao-limitada"),
        at(r[4], "05-chat-async/servidor-async.md#sala"),
        at(r[5], "05-chat-async/servidor-async.md#sala"),
        at(r[6], "05-chat-async/servidor-async.md#protocolo"),
        at(r[7], "05-chat-async/servidor-async.md#protocolo"),
        VINTE_CLIENTES_ASYNC,
        CLIENTE_LENTO_ASYNC,
        at(r[10], "05-chat-async/servidor-async.md#protocolo"),
    ]
};

const VINTE_CLIENTES_ASYNC: Step = Step {
    id: "vinte-clientes",
    role: Role::Server,
    title: "20 clientes: cada linha chega a cada outro uma vez, em ordem",
    hint: "Cada conexão ganha a sua tarefa (`tokio::spawn`), e cada linha entra na fila de \
           todos os outros exatamente uma vez, na ordem em que foi lida.",
    book: "05-chat-async/servidor-async.md#tarefas",
    required: true,
};

const CLIENTE_LENTO_ASYNC: Step = Step {
    id: "cliente-lento",
    role: Role::Server,
    title: "um cliente que nunca lê não impede os outros de receber",
    hint: "Não faça `.await` numa escrita com a sala trancada: cada cliente tem uma fila \
           limitada e uma tarefa escritora; a difusão usa `try_send` e desconecta quem \
           ficar para trás.",
    book: "05-chat-async/servidor-async.md#difusao-limitada",
    required: true,
};

/// Lab 05's own load step: what threads could not do within the grader's limits.
const MIL_CLIENTES: Step = Step {
    id: "mil-clientes",
    role: Role::Server,
    title: "1.000 clientes ao mesmo tempo: cada linha chega a cada outro, em ordem",
    hint: "Uma tarefa (`tokio::spawn`) por conexão, não uma thread: o corretor limita o \
           servidor a 128 threads. Cada cliente tem uma fila limitada (`mpsc::channel`) e \
           uma tarefa escritora; a difusão usa `try_send`.",
    book: "05-chat-async/servidor-async.md#mil-clientes",
    required: true,
};

/// Lab 05's client steps: the same checks as lab 03's, taught with `select!`
/// (the hints that speak of threads are rewritten; the others are lab 03's).
const CLIENT_STEPS: [Step; 5] = [
    Step {
        book: "05-chat-async/servidor-async.md#cliente",
        ..chat::CLIENT_STEPS[0]
    },
    Step {
        id: "cliente-recebe",
        role: Role::Client,
        title: "o que chega é impresso na hora, mesmo sem nada digitado",
        hint: "Um só laço com `tokio::select!` espera ao mesmo tempo pela próxima linha do \
               teclado e pela próxima do servidor, e trata a que vier primeiro.",
        book: "05-chat-async/servidor-async.md#cliente",
        required: true,
    },
    Step {
        book: "05-chat-async/servidor-async.md#cliente",
        ..chat::CLIENT_STEPS[2]
    },
    Step {
        id: "cliente-sair",
        role: Role::Client,
        title: "o fim da entrada fecha a conexão e imprime \"Conexão encerrada\"",
        hint: "Quando o teclado chegar ao fim (`next_line` devolve `None`), feche o lado de \
               escrita (`shutdown().await`), imprima `Conexão encerrada` e termine.",
        book: "05-chat-async/servidor-async.md#cliente",
        required: true,
    },
    Step {
        book: "05-chat-async/servidor-async.md#cliente",
        ..chat::CLIENT_STEPS[4]
    },
];
