//! A seccomp filter that closes what Landlock (up to ABI 6) leaves open: a
//! new `AF_UNIX` socket. Landlock does not check `connect` to a UNIX socket
//! with a path, so a sandboxed program could otherwise reach the teacher's
//! D-Bus session, `ssh-agent` or `docker.sock` and act outside the sandbox.
//! `socketpair` stays allowed (tokio and signal-hook use it; such a pair
//! reaches nobody), and so does everything else.
//!
//! The filter also denies `io_uring_setup` (io_uring can open sockets without
//! the `socket` syscall) and, on x86_64, the x32 system calls; a system call
//! of another architecture (32-bit mode) kills the process.

use std::io;

/// One classic BPF instruction (`struct sock_filter`).
#[repr(C)]
#[derive(Clone, Copy)]
struct Instruction {
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
const JUMP_IF_EQUAL: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JUMP_IF_AT_LEAST: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const RETURN: u16 = 0x06; // BPF_RET | BPF_K

/// Offsets in `struct seccomp_data`: nr, arch, args[0] (low half, little endian).
const NUMBER: u32 = 0;
const ARCH: u32 = 4;
const FIRST_ARGUMENT: u32 = 16;

const ALLOW: u32 = 0x7fff_0000;
const DENY: u32 = 0x0005_0000 | libc::EACCES as u32;
const KILL: u32 = 0x8000_0000;

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

const fn op(code: u16, k: u32, jump_if_true: u8, jump_if_false: u8) -> Instruction {
    Instruction {
        code,
        jump_if_true,
        jump_if_false,
        k,
    }
}

/// Jumps count the instructions to skip after the current one.
const FILTER: [Instruction; 11] = [
    /* 0 */ op(LOAD_WORD, ARCH, 0, 0),
    /* 1 */ op(JUMP_IF_EQUAL, arch(), 0, 8), // other arch → 10 kill
    /* 2 */ op(LOAD_WORD, NUMBER, 0, 0),
    /* 3 */ op(JUMP_IF_AT_LEAST, FOREIGN_NUMBERS, 5, 0), // → 9 deny
    /* 4 */ op(JUMP_IF_EQUAL, libc::SYS_io_uring_setup as u32, 4, 0), // → 9 deny
    /* 5 */ op(JUMP_IF_EQUAL, libc::SYS_socket as u32, 0, 2), // not socket → 8 allow
    /* 6 */ op(LOAD_WORD, FIRST_ARGUMENT, 0, 0),
    /* 7 */ op(JUMP_IF_EQUAL, libc::AF_UNIX as u32, 1, 0), // → 9 deny, else 8
    /* 8 */ op(RETURN, ALLOW, 0, 0),
    /* 9 */ op(RETURN, DENY, 0, 0),
    /* 10 */ op(RETURN, KILL, 0, 0),
];

const fn arch() -> u32 {
    match NATIVE_ARCH {
        Some(arch) => arch,
        None => 0,
    }
}

/// Whether this machine can take the filter: a known architecture and a
/// kernel with seccomp filters (`Seccomp:` in `/proc/self/status`).
pub fn available() -> bool {
    NATIVE_ARCH.is_some()
        && std::fs::read_to_string("/proc/self/status")
            .is_ok_and(|status| status.lines().any(|l| l.starts_with("Seccomp:")))
}

/// Installs the filter: between fork and exec, after `PR_SET_NO_NEW_PRIVS`
/// (which seccomp requires of a process without `CAP_SYS_ADMIN`).
pub fn install() -> io::Result<()> {
    let program = Program {
        len: FILTER.len() as u16,
        filter: FILTER.as_ptr(),
    };
    // SAFETY: prctl reads the program and the static filter it points to.
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
