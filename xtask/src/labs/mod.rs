//! One module per lab: the scenario that drives its conversation, step by step.
//! The steps themselves (titles, hints, book sections) are in `catalog.rs`; what
//! the learner's program must say is in the lab's golden transcript.

pub mod basico;
pub mod chat;
pub mod echo;
pub mod robusto;
