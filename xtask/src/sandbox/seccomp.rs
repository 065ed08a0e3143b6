//! The seccomp filters: what Landlock (up to ABI 6) leaves open on sockets.
//!
//! **The deny filter** (every sandboxed process) lets a process create only
//! the sockets a lab needs: `AF_INET`/`AF_INET6` TCP (`SOCK_STREAM`, protocol
//! 0 or TCP), UDP (`SOCK_DGRAM`, protocol 0 or UDP) only when the policy
//! allows it, `AF_NETLINK` route sockets (glibc's `getaddrinfo` reads the
//! machine's addresses with one to sort its answers; it cannot change
//! anything without capabilities) and stream or seqpacket `socketpair`s
//! (tokio uses the first, std's `Command::spawn` the second to pass a pidfd;
//! such a pair is connected for good and reaches nobody). Everything else
//! fails with `EACCES`:
//!
//! - a new `AF_UNIX` socket: Landlock does not check `connect` to a UNIX
//!   socket with a path (the teacher's D-Bus, `ssh-agent`, `docker.sock`);
//!   nor, for the same reason, a datagram `socketpair` (it could `sendto`
//!   a named datagram socket: `/dev/log`, the journal);
//! - UDP for the labs that do not use it, and raw, packet, SCTP, ICMP ("ping")
//!   or any other family's sockets: Landlock filters TCP only, so these would
//!   reach any address;
//! - `io_uring_setup` (io_uring can open sockets without the `socket` call);
//! - on x86_64, the x32 system calls; a system call of another architecture
//!   (32-bit mode) kills the process.
//!
//! The socket type is compared with `SOCK_NONBLOCK` and `SOCK_CLOEXEC`
//! masked off, and any other flag makes it unequal: denied (the kernel would
//! refuse it anyway).
//!
//! **The notify filter** (only programs allowed UDP, see `supervisor`) sends
//! every `connect`, `sendto` with an address, `sendmsg` and `sendmmsg` to the
//! grader, which checks the destination and makes the call itself. Classic
//! BPF sees the system call's registers, never the memory a pointer points to,
//! so it cannot read a `sockaddr`: only the grader can.
//!
//! Filters are built once in the parent; the child only hands the kernel a
//! pointer to them (no allocation between fork and exec).

use std::io;
use std::sync::OnceLock;

/// One classic BPF instruction (`struct sock_filter`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instruction {
    code: u16,
    jump_if_true: u8,
    jump_if_false: u8,
    k: u32,
}

/// `struct sock_fprog`.
#[repr(C)]
struct Program {
    len: u16,
    filter: *const Instruction,
}

const LOAD_WORD: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const AND: u16 = 0x54; // BPF_ALU | BPF_AND | BPF_K
const JUMP_IF_EQUAL: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JUMP_IF_AT_LEAST: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const RETURN: u16 = 0x06; // BPF_RET | BPF_K

/// Offsets in `struct seccomp_data`: nr, arch, then six 64-bit arguments
/// (little endian on both architectures: the low half comes first).
const NUMBER: u32 = 0;
const ARCH: u32 = 4;
const fn low(argument: u32) -> u32 {
    16 + 8 * argument
}
const fn high(argument: u32) -> u32 {
    low(argument) + 4
}

const ALLOW: u32 = 0x7fff_0000;
const DENY: u32 = 0x0005_0000 | libc::EACCES as u32;
const KILL: u32 = 0x8000_0000;
const NOTIFY: u32 = libc::SECCOMP_RET_USER_NOTIF;

#[cfg(target_arch = "x86_64")]
const NATIVE_ARCH: Option<u32> = Some(0xc000_003e);
#[cfg(target_arch = "aarch64")]
const NATIVE_ARCH: Option<u32> = Some(0xc000_00b7);
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const NATIVE_ARCH: Option<u32> = None;

/// x32 system calls carry this bit; aarch64 has none (the bound is never met).
#[cfg(target_arch = "x86_64")]
const FOREIGN_NUMBERS: u32 = 0x4000_0000;
#[cfg(not(target_arch = "x86_64"))]
const FOREIGN_NUMBERS: u32 = u32::MAX;

/// The descriptor number through which a UDP program's child hands the
/// notify filter's listener to the grader, between fork and exec. The notify
/// filter lets `sendmsg` on it through (the grader is not listening yet) and
/// the deny filter, installed right after, refuses `sendmsg` on it for good:
/// after exec a program that puts a socket of its own there gets `EACCES`.
/// High, so that no lab program has that many files open.
pub const HANDOFF_FD: i32 = 1000;

/// Where a jump goes: the next instruction or a label further on.
#[derive(Clone, Copy)]
enum To {
    Next,
    Label(&'static str),
}

/// One step of a filter, with symbolic jumps (see [`assemble`]).
enum Op {
    Load(u32),
    And(u32),
    IfEqual(u32, To, To),
    IfAtLeast(u32, To, To),
    Return(u32),
    Label(&'static str),
}

/// Resolves the labels: classic BPF jumps only forward, by at most 255.
fn assemble(ops: &[Op]) -> Vec<Instruction> {
    let mut labels = std::collections::HashMap::new();
    let mut count = 0;
    for op in ops {
        match op {
            Op::Label(name) => {
                assert!(labels.insert(*name, count).is_none(), "rótulo repetido");
            }
            _ => count += 1,
        }
    }
    let mut code = Vec::with_capacity(count);
    for op in ops {
        let here = code.len();
        let jump = |to: To| -> u8 {
            match to {
                To::Next => 0,
                To::Label(name) => {
                    let target = labels[name];
                    assert!(target > here, "salto para trás: {name}");
                    u8::try_from(target - here - 1).expect("salto longo demais")
                }
            }
        };
        let instruction = |code, k, jt, jf| Instruction {
            code,
            jump_if_true: jt,
            jump_if_false: jf,
            k,
        };
        code.push(match *op {
            Op::Label(_) => continue,
            Op::Load(offset) => instruction(LOAD_WORD, offset, 0, 0),
            Op::And(mask) => instruction(AND, mask, 0, 0),
            Op::IfEqual(k, yes, no) => instruction(JUMP_IF_EQUAL, k, jump(yes), jump(no)),
            Op::IfAtLeast(k, yes, no) => instruction(JUMP_IF_AT_LEAST, k, jump(yes), jump(no)),
            Op::Return(action) => instruction(RETURN, action, 0, 0),
        });
    }
    code
}

const fn arch() -> u32 {
    match NATIVE_ARCH {
        Some(arch) => arch,
        None => 0,
    }
}

/// The socket type with the two creation flags masked off.
const TYPE_MASK: u32 = !((libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) as u32);

fn deny_ops(udp: bool) -> Vec<Op> {
    use Op::*;
    use To::{Label as L, Next};
    let mut ops = vec![
        Load(ARCH),
        IfEqual(arch(), Next, L("kill")),
        Load(NUMBER),
        IfAtLeast(FOREIGN_NUMBERS, L("deny"), Next),
        IfEqual(libc::SYS_io_uring_setup as u32, L("deny"), Next),
        IfEqual(libc::SYS_socket as u32, L("socket"), Next),
        IfEqual(libc::SYS_socketpair as u32, L("socketpair"), Next),
    ];
    if udp {
        ops.push(IfEqual(libc::SYS_sendmsg as u32, L("handoff"), Next));
    }
    ops.extend([
        Return(ALLOW),
        Label("socket"),
        Load(low(0)),
        IfEqual(libc::AF_INET as u32, L("inet"), Next),
        IfEqual(libc::AF_INET6 as u32, L("inet"), Next),
        IfEqual(libc::AF_NETLINK as u32, L("netlink"), L("deny")),
        Label("inet"),
        Load(low(1)),
        And(TYPE_MASK),
        IfEqual(libc::SOCK_STREAM as u32, L("tcp"), Next),
        IfEqual(
            libc::SOCK_DGRAM as u32,
            if udp { L("udp") } else { L("deny") },
            L("deny"),
        ),
        Label("tcp"),
        Load(low(2)),
        IfEqual(0, L("allow"), Next),
        IfEqual(libc::IPPROTO_TCP as u32, L("allow"), L("deny")),
        Label("udp"),
        Load(low(2)),
        IfEqual(0, L("allow"), Next),
        IfEqual(libc::IPPROTO_UDP as u32, L("allow"), L("deny")),
        Label("netlink"),
        Load(low(2)),
        IfEqual(libc::NETLINK_ROUTE as u32, L("allow"), L("deny")),
        Label("socketpair"),
        Load(low(0)),
        IfEqual(libc::AF_UNIX as u32, Next, L("deny")),
        Load(low(1)),
        And(TYPE_MASK),
        IfEqual(libc::SOCK_STREAM as u32, L("allow"), Next),
        IfEqual(libc::SOCK_SEQPACKET as u32, L("allow"), L("deny")),
    ]);
    if udp {
        ops.extend([
            Label("handoff"),
            Load(low(0)),
            IfEqual(HANDOFF_FD as u32, L("deny"), L("allow")),
        ]);
    }
    ops.extend([
        Label("allow"),
        Return(ALLOW),
        Label("deny"),
        Return(DENY),
        Label("kill"),
        Return(KILL),
    ]);
    ops
}

fn notify_ops() -> Vec<Op> {
    use Op::*;
    use To::{Label as L, Next};
    vec![
        // Another architecture: the deny filter kills it.
        Load(ARCH),
        IfEqual(arch(), Next, L("allow")),
        Load(NUMBER),
        IfEqual(libc::SYS_connect as u32, L("notify"), Next),
        IfEqual(libc::SYS_sendto as u32, L("sendto"), Next),
        IfEqual(libc::SYS_sendmsg as u32, L("sendmsg"), Next),
        IfEqual(libc::SYS_sendmmsg as u32, L("notify"), L("allow")),
        // `send` is `sendto` with no address: it goes to the peer the grader
        // checked at `connect` (registers, not memory: no race).
        Label("sendto"),
        Load(low(4)),
        IfEqual(0, Next, L("notify")),
        Load(high(4)),
        IfEqual(0, L("allow"), L("notify")),
        Label("sendmsg"),
        Load(low(0)),
        IfEqual(HANDOFF_FD as u32, L("allow"), L("notify")),
        Label("notify"),
        Return(NOTIFY),
        Label("allow"),
        Return(ALLOW),
    ]
}

/// The deny filter, with or without UDP sockets.
pub fn deny_filter(udp: bool) -> &'static [Instruction] {
    static WITHOUT: OnceLock<Vec<Instruction>> = OnceLock::new();
    static WITH: OnceLock<Vec<Instruction>> = OnceLock::new();
    let cell = if udp { &WITH } else { &WITHOUT };
    cell.get_or_init(|| assemble(&deny_ops(udp)))
}

/// The notify filter of the programs allowed UDP.
pub fn notify_filter() -> &'static [Instruction] {
    static FILTER: OnceLock<Vec<Instruction>> = OnceLock::new();
    FILTER.get_or_init(|| assemble(&notify_ops()))
}

/// Whether this machine can take the filters: a known architecture and a
/// kernel with seccomp filters (`Seccomp:` in `/proc/self/status`).
pub fn available() -> bool {
    NATIVE_ARCH.is_some()
        && std::fs::read_to_string("/proc/self/status")
            .is_ok_and(|status| status.lines().any(|l| l.starts_with("Seccomp:")))
}

/// What the kernel offers for the UDP programs' notify filter, probed once
/// on a throwaway thread (a filter binds only the thread that installs it,
/// and dies with it): a listener (Linux 5.0), `pidfd_getfd` (5.6, the grader
/// takes the program's socket), and whether a received call then waits only
/// for fatal signals (5.19: otherwise a signal may interrupt a call the
/// grader already made, and the program may send it again).
#[derive(Clone, Copy, Debug)]
pub struct NotifySupport {
    pub usable: bool,
    pub killable: bool,
}

pub fn probe_notify() -> NotifySupport {
    let none = NotifySupport {
        usable: false,
        killable: false,
    };
    if !available() {
        return none;
    }
    let probe = std::thread::spawn(move || {
        // SAFETY: prctl, seccomp, pidfd_open, pidfd_getfd and close only touch
        // this thread and the descriptors created here.
        unsafe {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return none;
            }
            let allow_all = [Instruction {
                code: RETURN,
                jump_if_true: 0,
                jump_if_false: 0,
                k: ALLOW,
            }];
            let (listener, killable) = match install_listener(&allow_all, true) {
                Ok(fd) => (fd, true),
                Err(_) => match install_listener(&allow_all, false) {
                    Ok(fd) => (fd, false),
                    Err(_) => return none,
                },
            };
            let pidfd = libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) as i32;
            let copy = if pidfd >= 0 {
                libc::syscall(libc::SYS_pidfd_getfd, pidfd, listener, 0) as i32
            } else {
                -1
            };
            for fd in [copy, pidfd, listener] {
                if fd >= 0 {
                    libc::close(fd);
                }
            }
            NotifySupport {
                usable: copy >= 0,
                killable,
            }
        }
    });
    probe.join().unwrap_or(none)
}

fn program(filter: &[Instruction]) -> Program {
    Program {
        len: filter.len() as u16,
        filter: filter.as_ptr(),
    }
}

/// Installs a filter: between fork and exec, after `PR_SET_NO_NEW_PRIVS`
/// (which seccomp requires of a process without `CAP_SYS_ADMIN`).
pub fn install(filter: &[Instruction]) -> io::Result<()> {
    let program = program(filter);
    // SAFETY: prctl reads the program and the filter it points to.
    let result = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &program as *const Program,
            0,
            0,
        )
    };
    if result != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Installs a filter whose `SECCOMP_RET_USER_NOTIF` go to a listener, and
/// returns the listener (close-on-exec: the program never holds it, or it
/// could answer its own calls).
pub fn install_listener(filter: &[Instruction], killable: bool) -> io::Result<i32> {
    let program = program(filter);
    let mut flags = libc::SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if killable {
        flags |= libc::SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    }
    // SAFETY: seccomp reads the program and the filter it points to.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            flags,
            &program as *const Program,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a filter on one call, as the kernel would.
    fn run(filter: &[Instruction], nr: i64, args: [u64; 6]) -> u32 {
        let mut data = [0u8; 64];
        data[0..4].copy_from_slice(&(nr as u32).to_le_bytes());
        data[4..8].copy_from_slice(&arch().to_le_bytes());
        for (i, arg) in args.iter().enumerate() {
            data[16 + 8 * i..24 + 8 * i].copy_from_slice(&arg.to_le_bytes());
        }
        let word = |offset: u32| {
            let o = offset as usize;
            u32::from_le_bytes(data[o..o + 4].try_into().unwrap())
        };
        let (mut pc, mut a) = (0usize, 0u32);
        loop {
            let i = filter[pc];
            pc += 1;
            match i.code {
                LOAD_WORD => a = word(i.k),
                AND => a &= i.k,
                JUMP_IF_EQUAL | JUMP_IF_AT_LEAST => {
                    let taken = if i.code == JUMP_IF_EQUAL {
                        a == i.k
                    } else {
                        a >= i.k
                    };
                    pc += usize::from(if taken {
                        i.jump_if_true
                    } else {
                        i.jump_if_false
                    });
                }
                RETURN => return i.k,
                other => panic!("instrução {other:#x}"),
            }
        }
    }

    fn socket(filter: &[Instruction], domain: i32, kind: i32, protocol: i32) -> u32 {
        run(
            filter,
            libc::SYS_socket,
            [domain as u64, kind as u64, protocol as u64, 0, 0, 0],
        )
    }

    #[test]
    fn sem_udp_so_tcp_netlink_de_rotas_e_pares_de_stream() {
        let f = deny_filter(false);
        let cloexec = libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK;
        assert_eq!(socket(f, libc::AF_INET, cloexec, 0), ALLOW);
        assert_eq!(socket(f, libc::AF_INET6, libc::SOCK_STREAM, 6), ALLOW);
        assert_eq!(socket(f, libc::AF_INET, libc::SOCK_DGRAM, 0), DENY);
        assert_eq!(
            socket(f, libc::AF_INET6, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0),
            DENY
        );
        assert_eq!(socket(f, libc::AF_INET, libc::SOCK_RAW, 1), DENY);
        assert_eq!(socket(f, libc::AF_INET, libc::SOCK_STREAM, 132), DENY); // SCTP
        assert_eq!(socket(f, libc::AF_INET, libc::SOCK_SEQPACKET, 0), DENY);
        assert_eq!(socket(f, libc::AF_INET, libc::SOCK_STREAM | 0x100, 0), DENY);
        assert_eq!(socket(f, libc::AF_PACKET, libc::SOCK_RAW, 0), DENY);
        assert_eq!(socket(f, libc::AF_UNIX, libc::SOCK_STREAM, 0), DENY);
        assert_eq!(socket(f, libc::AF_NETLINK, libc::SOCK_RAW, 0), ALLOW);
        assert_eq!(socket(f, libc::AF_NETLINK, libc::SOCK_RAW, 9), DENY); // audit
        assert_eq!(socket(f, libc::AF_VSOCK, libc::SOCK_STREAM, 0), DENY);
        let pair = |kind: i32| {
            run(
                f,
                libc::SYS_socketpair,
                [libc::AF_UNIX as u64, kind as u64, 0, 0, 0, 0],
            )
        };
        assert_eq!(pair(libc::SOCK_STREAM | libc::SOCK_CLOEXEC), ALLOW);
        assert_eq!(pair(libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC), ALLOW);
        assert_eq!(pair(libc::SOCK_DGRAM), DENY);
        assert_eq!(run(f, libc::SYS_io_uring_setup, [0; 6]), DENY);
        assert_eq!(
            run(f, libc::SYS_sendmsg, [HANDOFF_FD as u64, 0, 0, 0, 0, 0]),
            ALLOW
        );
        assert_eq!(run(f, libc::SYS_read, [0; 6]), ALLOW);
    }

    #[test]
    fn com_udp_so_udp_a_mais_e_o_canal_fechado() {
        let f = deny_filter(true);
        assert_eq!(socket(f, libc::AF_INET, libc::SOCK_DGRAM, 0), ALLOW);
        assert_eq!(socket(f, libc::AF_INET6, libc::SOCK_DGRAM, 17), ALLOW);
        assert_eq!(socket(f, libc::AF_INET, libc::SOCK_DGRAM, 1), DENY); // ping
        assert_eq!(socket(f, libc::AF_INET, libc::SOCK_DGRAM, 136), DENY); // UDP-Lite
        assert_eq!(socket(f, libc::AF_INET, libc::SOCK_RAW, 17), DENY);
        assert_eq!(socket(f, libc::AF_UNIX, libc::SOCK_DGRAM, 0), DENY);
        let sendmsg = |fd: u64| run(f, libc::SYS_sendmsg, [fd, 0, 0, 0, 0, 0]);
        assert_eq!(sendmsg(HANDOFF_FD as u64), DENY);
        assert_eq!(sendmsg(3), ALLOW);
    }

    #[test]
    fn o_aviso_pega_todo_envio_com_endereco() {
        let f = notify_filter();
        assert_eq!(run(f, libc::SYS_connect, [3, 1, 16, 0, 0, 0]), NOTIFY);
        assert_eq!(run(f, libc::SYS_sendto, [3, 1, 2, 0, 0x7ff0, 16]), NOTIFY);
        assert_eq!(run(f, libc::SYS_sendto, [3, 1, 2, 0, 1 << 40, 0]), NOTIFY);
        assert_eq!(run(f, libc::SYS_sendto, [3, 1, 2, 0, 0, 0]), ALLOW);
        assert_eq!(run(f, libc::SYS_sendmsg, [3, 1, 0, 0, 0, 0]), NOTIFY);
        assert_eq!(run(f, libc::SYS_sendmmsg, [3, 1, 1, 0, 0, 0]), NOTIFY);
        assert_eq!(
            run(f, libc::SYS_sendmsg, [HANDOFF_FD as u64, 1, 0, 0, 0, 0]),
            ALLOW
        );
        assert_eq!(run(f, libc::SYS_write, [3, 1, 2, 0, 0, 0]), ALLOW);
    }
}
