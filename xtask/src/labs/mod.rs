//! One module per lab: its steps (titles, hints, book sections) and the scenario
//! that drives its conversation, step by step, ending in a `LAB` that
//! `catalog.rs` lists. What the learner's program must say is in the lab's golden
//! transcript.

pub mod arquivos;
pub mod basico;
pub mod chat;
pub mod chat_async;
pub mod echo;
pub mod http;
pub mod robusto;
pub mod udp;
