//! `cargo xtask bench`: measurements that belong to a benchmark, never to a
//! timed unit test.
//!
//! - [`rede`]: the default. The solutions side by side on this machine: lab 03's
//!   chat (threads) against lab 05's (tokio), and lab 02's echo against a server
//!   that treats each read as a message. Prints a table, writes the SVG chart and
//!   the results page the "Threads vs async" chapter shows; then lab 06's UDP
//!   request-reply against lab 02's TCP one ([`udp`], the table of the UDP
//!   chapter; `bench udp` runs only this), lab 07's file server ([`arquivos`]): a
//!   256 MiB upload and the server's memory, and lab 08's HTTP server with
//!   keep-alive and without ([`http`]).
//! - [`turma`]: a class of N submissions × every lab, compile time vs grade time.
//! - [`isolamento`]: the sandbox's cost: set-up per program, and a class graded
//!   with and without it.
//!
//! Load is generated here, bounded in count and time, and only over loopback.

pub mod arquivos;
pub mod chat;
pub mod eco;
pub mod http;
pub mod isolamento;
pub mod rede;
pub mod servidor;
pub mod svg;
pub mod turma;
pub mod udp;

pub use turma::class;
