//! The catalogue: every lab, in the book's order. The grader, the book checks and
//! the tests all read it.
//!
//! Adding lab N+1 means: its folder under `labs/`, its chapter under `book/src/`,
//! its module under `xtask/src/labs/` (scenario and steps, ending in a `LAB`) and
//! one line in [`LABS`]. What the program must say on the wire lives only in the
//! lab's golden transcript (`labs/NN-tema/transcricao.snap`).

use crate::labs;

pub use crate::lab::{Lab, Role, SNAPSHOT_FILE, Step, Variant};

/// Every lab, in the book's order.
pub static LABS: &[Lab] = &[
    labs::basico::LAB,
    labs::echo::LAB,
    labs::chat::LAB,
    labs::robusto::LAB,
    labs::chat_async::LAB,
    labs::udp::LAB,
    labs::arquivos::LAB,
    labs::http::LAB,
];

/// Finds a lab by number (`1`, `01`) or folder name (`01-basico`, `basico`).
pub fn find(query: &str) -> Option<&'static Lab> {
    let query = query
        .trim()
        .trim_start_matches("labs/")
        .trim_end_matches('/');
    LABS.iter().find(|lab| {
        lab.dir == query
            || lab.theme() == query
            || lab.number == query
            || query
                .parse::<u32>()
                .is_ok_and(|n| lab.number.parse::<u32>() == Ok(n))
    })
}
