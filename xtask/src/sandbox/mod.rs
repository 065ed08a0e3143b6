//! The sandbox for untrusted code: every program under test, and every build of
//! a submission in `grade`, starts inside it.
//!
//! Made of kernel features only (no container engine):
//!
//! - **Landlock, filesystem** (Linux 5.13, ABI 1): read and execute on the system
//!   paths and on what the program needs (its binary, its crate folder; for a
//!   build, the toolchain and the submission); read and write only in a fresh
//!   scratch folder of its own (its `HOME` and `TMPDIR`, removed afterwards)
//!   and, for a build, the target folder.
//! - **Landlock, TCP** (Linux 6.7, ABI 4): `bind` only on its `PORTA`, `connect`
//!   only to the port the grader uses with it. UDP is not filtered by Landlock.
//! - **Landlock, scopes** (Linux 6.12, ABI 6): no signals and no abstract UNIX
//!   sockets towards processes outside its own sandbox (ptrace is confined by
//!   Landlock since ABI 1).
//! - **seccomp**: only the sockets a lab needs (TCP; UDP only for the UDP
//!   lab; no new `AF_UNIX` socket: Landlock up to ABI 6 does not check
//!   `connect` to a UNIX socket with a path, the teacher's D-Bus, ssh-agent;
//!   no raw or packet socket). For the UDP lab's programs, every datagram's
//!   destination is checked by the grader and must be loopback
//!   (`supervisor`: seccomp user notification, Linux 5.9).
//! - **Privileges**: `PR_SET_NO_NEW_PRIVS`, and when the grader is root, an
//!   empty capability bounding set, no ambient capabilities and empty
//!   effective/permitted/inheritable sets: uid 0 inside is no stronger than
//!   any user.
//!
//! The ruleset is built in the parent, before `fork` ([`Policy::prepare`]);
//! between `fork` and `exec` the child only makes async-signal-safe syscalls
//! ([`Entry::enter`]).

//!
//! The Landlock ABI is detected once ([`support`]) by restricting a throwaway
//! thread with the `landlock` crate and reading its `RestrictionStatus`: that
//! proves the kernel enforces it here (a container may block the syscalls),
//! not only that it exists. The hidden variable `TOMADA_LANDLOCK_ABI=N` caps
//! the ABI used, so that tests can simulate an older kernel (`0`: none).
//!
//! # Layout
//!
//! - `support`: what this kernel can enforce, detected once.
//! - `policy`: what one process may touch, turned into a Landlock ruleset.
//! - `entry`: the child's half, between fork and exec.
//! - `scratch`: the fresh folder of each process.
//! - `seccomp`: the filters (what Landlock leaves open on sockets).
//! - `udp`: which datagrams a program may send ([`Udp`], default none).
//! - `supervisor`: the grader's watch over a UDP program's destinations.

mod entry;
mod policy;
mod scratch;
#[cfg(target_os = "linux")]
mod seccomp;
#[cfg(target_os = "linux")]
mod supervisor;
mod support;
mod udp;

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

pub use entry::Entry;
pub use policy::{Policy, Prepared, Use, system_path};
pub use scratch::{Scratch, is_scratch};
#[cfg(target_os = "linux")]
pub use supervisor::reserve_handoff_fd;
pub use support::{PROTECTIONS, Protection, Support, TESTED_ABI, support};
pub use udp::{Udp, UdpPorts};

/// `--sem-isolamento`: the whole grader process runs programs plainly.
static DISABLED: AtomicBool = AtomicBool::new(false);

/// Turns the sandbox off for the rest of this process (`grade --sem-isolamento`).
pub fn disable() {
    set_enabled(false);
}

/// On or off for the programs started from now on (the bench compares both).
pub fn set_enabled(on: bool) {
    DISABLED.store(!on, Ordering::SeqCst);
}

/// Whether programs started from now on are sandboxed (even without Landlock,
/// they lose their privileges and get a scratch folder).
pub fn enabled() -> bool {
    cfg!(target_os = "linux") && !DISABLED.load(Ordering::SeqCst)
}

/// How this run isolates untrusted code, for the reports, in pt-BR.
pub fn run_description() -> String {
    if enabled() {
        format!("isolado: {}", support().describe())
    } else {
        "NÃO ISOLADO (--sem-isolamento): os programas rodaram com as permissões do corretor"
            .to_owned()
    }
}

/// Lines of a program's error output that report a permission error: what a
/// program says when the sandbox denied it something. This is the program's
/// own account (the kernel's audit log is not readable here), so a program
/// that hides its attempts is not listed, though it is blocked all the same.
pub fn denials_in(text: &str) -> Vec<String> {
    const MARKS: [&str; 8] = [
        "Permission denied",
        "Operation not permitted",
        "os error 13)",
        "os error 1)",
        "[Errno 13]",
        "[Errno 1]",
        "EACCES",
        "EPERM",
    ];
    text.lines()
        .filter(|line| MARKS.iter().any(|m| line.contains(m)))
        .map(|line| line.chars().take(300).collect())
        .take(20)
        .collect()
}

/// Everything one sandboxed process needs from the parent: its scratch folder
/// (kept for its lifetime) and its prepared ruleset (kept until spawned).
pub struct Sandbox {
    pub scratch: Scratch,
    prepared: Option<Prepared>,
    /// A UDP program's supervisor, for the program's lifetime.
    #[cfg(target_os = "linux")]
    _supervisor: Option<supervisor::Supervisor>,
}

impl Sandbox {
    /// Prepares `policy` plus a fresh scratch folder, writable.
    pub fn new(policy: Policy) -> io::Result<Sandbox> {
        let scratch = Scratch::create()?;
        let prepared = policy.write(scratch.path()).prepare()?;
        Ok(Sandbox {
            scratch,
            prepared: Some(prepared),
            #[cfg(target_os = "linux")]
            _supervisor: None,
        })
    }

    /// The child's half (see [`Entry::enter`]).
    pub fn entry(&self) -> Option<Entry> {
        self.prepared.as_ref().map(Prepared::entry)
    }

    /// Closes the ruleset once the child exists (it holds its own copy) and,
    /// for a program allowed UDP, starts watching its datagrams. On error the
    /// caller must kill the child: its checked calls fail meanwhile.
    pub fn spawned(&mut self) -> io::Result<()> {
        if let Some(prepared) = self.prepared.take() {
            #[cfg(target_os = "linux")]
            {
                self._supervisor = prepared.spawned()?;
            }
            #[cfg(not(target_os = "linux"))]
            prepared.spawned()?;
        }
        Ok(())
    }

    /// `HOME` and `TMPDIR` for the child.
    pub fn env(&self) -> [(&'static str, &Path); 2] {
        [
            ("HOME", self.scratch.path()),
            ("TMPDIR", self.scratch.path()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denials_are_the_lines_with_permission_errors() {
        let text =
            "ok\nErro: Permission denied (os error 13)\nnada\nkill: Operation not permitted\n";
        assert_eq!(
            denials_in(text),
            vec![
                "Erro: Permission denied (os error 13)".to_owned(),
                "kill: Operation not permitted".to_owned()
            ]
        );
        assert!(denials_in("tudo certo\n").is_empty());
    }
}
