//! The grader's watch over a program allowed UDP: every destination it names
//! is checked here, and the call is made here.
//!
//! # Why this mechanism
//!
//! Landlock does not filter UDP, and a classic BPF seccomp filter sees only
//! registers: it cannot read the `sockaddr` behind a pointer. Two real ways
//! were weighed:
//!
//! - **A network namespace** whose only interface is loopback. As root it is
//!   one `unshare`; as an ordinary user it needs a user namespace, which many
//!   distributions restrict (Ubuntu's AppArmor, `kernel.unprivileged_userns_clone`),
//!   and every socket of the grader that talks to the program (50 clients,
//!   the lossy relay between two programs) would have to be opened inside
//!   it, through a helper process (a threaded grader cannot `setns` into a
//!   user namespace).
//! - **seccomp user notification** (`SECCOMP_RET_USER_NOTIF`, Linux 5.0):
//!   the kernel stops the program's `connect`, `sendto` (with an address),
//!   `sendmsg` and `sendmmsg` and hands them to a supervisor in the grader.
//!   Works as root and as any user, changes nothing in how the grader opens
//!   its own sockets. This is the one used.
//!
//! # No time-of-check/time-of-use gap
//!
//! The kernel's documentation warns that answering "continue" after reading
//! the program's memory is not a security check: another thread of the
//! program can rewrite the address (or swap the descriptor with `dup2`)
//! between the supervisor's read and the kernel's. So the supervisor never
//! answers "continue". It copies the address and the data out of the program
//! (`process_vm_readv`), checks *its copy*, takes the program's socket with
//! `pidfd_getfd` (Linux 5.6) and makes the call itself with that copy, then
//! returns the result as the program's. What the program changes afterwards
//! changes nothing. The costs: each checked call takes a few context switches
//! (a Python `sendto` to loopback: 89 µs checked, 6 µs unsandboxed, on a
//! loaded 2-core machine; `send` on a connected socket is not checked); `sendmsg` with ancillary data is refused
//! (`EACCES`: descriptor numbers in it would name the grader's files); and a
//! TCP `connect` made here is not seen by Landlock, so the supervisor applies
//! the same rule itself (only the grader's port, and only on loopback).
//!
//! `send`, `write` on a connected socket and `sendto` with no address go to
//! the peer checked at `connect`: the notify filter lets them through
//! (it sees the null pointer in a register, no memory involved).
//!
//! # The listener's way to the grader
//!
//! The child installs the notify filter between fork and exec; the kernel
//! gives it the listener. It sends it to the grader over a `socketpair`
//! inherited at [`seccomp::HANDOFF_FD`] (the only `sendmsg` the notify
//! filter lets through), closes it (the program must never hold it, or it
//! could answer its own calls), and then installs the deny filter, which
//! refuses any later `sendmsg` on that descriptor number.
//!
//! If the grader dies or stops watching, the listener closes and every
//! checked call fails (`ENOSYS`): it fails closed.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use super::seccomp::{self, HANDOFF_FD};
use super::udp::{Call, Rules};

/// How much of a program's data one call copies: more than any datagram;
/// a stream socket (TCP) just gets a partial write.
const COPY_LIMIT: usize = 256 * 1024;
/// The kernel's limits: `sizeof(struct sockaddr_storage)`, `UIO_MAXIOV`.
const ADDRESS_LIMIT: usize = 128;
const VECTOR_LIMIT: usize = 1024;

fn errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// Whether this process holds [`HANDOFF_FD`] itself (see [`reserve_handoff_fd`]).
static RESERVED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Keeps [`HANDOFF_FD`] open in the grader, on `/dev/null` and close-on-exec,
/// so that none of the grader's own files lands on that number: with a
/// thousand client sockets open (lab 05, maybe in another job of `grade`), the
/// next one would, and a UDP program started then could not hand its listener
/// over. Reserved, the child may `dup2` over it: it is only our placeholder.
/// Called early (before the grader opens many files); idempotent.
pub fn reserve_handoff_fd() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: open, fcntl and close on descriptors of this process.
        unsafe {
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            if null < 0 {
                return;
            }
            // F_DUPFD_CLOEXEC takes the lowest free number from HANDOFF_FD on, in
            // one step: no other thread can take it between a check and a dup.
            let placed = libc::fcntl(null, libc::F_DUPFD_CLOEXEC, HANDOFF_FD);
            if placed == HANDOFF_FD {
                RESERVED.store(true, std::sync::atomic::Ordering::SeqCst);
            } else if placed >= 0 {
                libc::close(placed);
            }
            libc::close(null);
        }
    });
}

/// The socketpair the child hands the listener through.
pub struct Channel {
    parent: OwnedFd,
    child: OwnedFd,
}

impl Channel {
    pub fn new() -> io::Result<Channel> {
        reserve_handoff_fd();
        let mut fds = [-1; 2];
        // SAFETY: socketpair writes two descriptors into `fds`.
        let result = unsafe {
            libc::socketpair(
                libc::AF_UNIX,
                libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
                0,
                fds.as_mut_ptr(),
            )
        };
        if result != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just created and are ours.
        unsafe {
            Ok(Channel {
                parent: OwnedFd::from_raw_fd(fds[0]),
                child: OwnedFd::from_raw_fd(fds[1]),
            })
        }
    }

    /// The child's end (close-on-exec), for the child's half.
    pub fn child_fd(&self) -> RawFd {
        self.child.as_raw_fd()
    }
}

/// The child's half, between fork and exec (async-signal-safe calls only):
/// installs the notify filter and sends its listener to the grader.
pub fn hand_over(
    channel: RawFd,
    filter: &[seccomp::Instruction],
    killable: bool,
) -> io::Result<()> {
    // SAFETY: dup2, sendmsg and close on descriptors of this process, with
    // buffers on the stack.
    unsafe {
        // Taken by a file of the grader's (not our placeholder: one of a
        // thousand sockets, or the pipe std reports exec errors through): fail
        // rather than clobber it.
        let reserved = RESERVED.load(std::sync::atomic::Ordering::SeqCst);
        if channel != HANDOFF_FD && !reserved && libc::fcntl(HANDOFF_FD, libc::F_GETFD) != -1 {
            return Err(io::Error::from_raw_os_error(libc::EBUSY));
        }
        if libc::dup2(channel, HANDOFF_FD) < 0 {
            return Err(io::Error::last_os_error());
        }
        let listener = seccomp::install_listener(filter, killable)?;
        let sent = send_descriptor(HANDOFF_FD, listener);
        libc::close(listener);
        libc::close(HANDOFF_FD);
        sent
    }
}

/// Room for one `cmsghdr` with one descriptor, aligned as the kernel wants.
#[repr(C, align(8))]
struct Control([u8; 64]);

unsafe fn send_descriptor(socket: RawFd, fd: RawFd) -> io::Result<()> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut control = Control([0; 64]);
    // SAFETY: (whole function) the header points at the stack buffers above;
    // CMSG_* only compute offsets inside `control`.
    unsafe {
        let mut message: libc::msghdr = std::mem::zeroed();
        message.msg_iov = &mut iov;
        message.msg_iovlen = 1;
        message.msg_control = control.0.as_mut_ptr().cast();
        message.msg_controllen = libc::CMSG_SPACE(4) as _;
        let header = libc::CMSG_FIRSTHDR(&message);
        (*header).cmsg_level = libc::SOL_SOCKET;
        (*header).cmsg_type = libc::SCM_RIGHTS;
        (*header).cmsg_len = libc::CMSG_LEN(4) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(header).cast::<i32>(), fd);
        if libc::sendmsg(socket, &message, libc::MSG_NOSIGNAL) != 1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The descriptor the child sent, already queued when `spawn` returns (the
/// child sent it before exec).
fn receive_descriptor(socket: BorrowedFd) -> io::Result<OwnedFd> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut control = Control([0; 64]);
    // SAFETY: recvmsg fills the stack buffers the header points at; the
    // descriptor read from the control message is new and ours.
    unsafe {
        let mut message: libc::msghdr = std::mem::zeroed();
        message.msg_iov = &mut iov;
        message.msg_iovlen = 1;
        message.msg_control = control.0.as_mut_ptr().cast();
        message.msg_controllen = control.0.len() as _;
        let flags = libc::MSG_DONTWAIT | libc::MSG_CMSG_CLOEXEC;
        if libc::recvmsg(socket.as_raw_fd(), &mut message, flags) != 1 {
            return Err(io::Error::other(
                "o programa não entregou o aviso de UDP ao corretor",
            ));
        }
        let header = libc::CMSG_FIRSTHDR(&message);
        if header.is_null()
            || (*header).cmsg_level != libc::SOL_SOCKET
            || (*header).cmsg_type != libc::SCM_RIGHTS
        {
            return Err(io::Error::other("mensagem inesperada no canal do aviso"));
        }
        let fd = std::ptr::read_unaligned(libc::CMSG_DATA(header).cast::<i32>());
        Ok(OwnedFd::from_raw_fd(fd))
    }
}

/// Watches one program (and its children) while it lives; dropping it stops
/// the watch (the program's checked calls then fail).
pub struct Supervisor {
    _stop: OwnedFd,
}

impl Supervisor {
    /// After spawn: takes the listener from the channel and starts watching.
    pub fn start(channel: Channel, rules: Rules) -> io::Result<Supervisor> {
        let Channel { parent, child } = channel;
        drop(child);
        let listener = receive_descriptor(parent.as_fd())?;
        let mut pipe = [-1; 2];
        // SAFETY: pipe2 writes two descriptors into `pipe`.
        if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just created and are ours.
        let (stop_read, stop_write) =
            unsafe { (OwnedFd::from_raw_fd(pipe[0]), OwnedFd::from_raw_fd(pipe[1])) };
        std::thread::Builder::new()
            .name("tomada-udp".to_owned())
            .spawn(move || watch(&listener, &stop_read, &rules))?;
        Ok(Supervisor { _stop: stop_write })
    }
}

/// Answers the program's calls until it and its children are gone (the
/// listener hangs up) or the grader stops watching.
fn watch(listener: &OwnedFd, stop: &OwnedFd, rules: &Rules) {
    loop {
        let mut fds = [
            libc::pollfd {
                fd: listener.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: stop.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: poll reads and writes the two structs above.
        if unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) } < 0 {
            if errno() == libc::EINTR {
                continue;
            }
            return;
        }
        if fds[1].revents != 0 {
            return;
        }
        if fds[0].revents & libc::POLLIN == 0 {
            if fds[0].revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                return;
            }
            continue;
        }
        // SAFETY: an all-zero seccomp_notif is what the kernel asks for.
        let mut call: libc::seccomp_notif = unsafe { std::mem::zeroed() };
        // SAFETY: the ioctl fills `call`.
        if unsafe {
            libc::ioctl(
                listener.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_RECV,
                &mut call,
            )
        } != 0
        {
            match errno() {
                // Interrupted, or the caller died before we read it.
                libc::EINTR | libc::ENOENT => continue,
                _ => return,
            }
        }
        let result = answer(listener.as_fd(), &call, rules);
        let response = libc::seccomp_notif_resp {
            id: call.id,
            val: result.unwrap_or(0),
            error: result.err().map_or(0, |e| -e),
            flags: 0,
        };
        // SAFETY: the ioctl reads `response`. ENOENT: the caller is gone.
        unsafe {
            libc::ioctl(
                listener.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_SEND,
                &response,
            )
        };
    }
}

/// Checks one call and makes it: its return value, or the errno.
fn answer(listener: BorrowedFd, call: &libc::seccomp_notif, rules: &Rules) -> Result<i64, i32> {
    let target = Target::open(listener, call)?;
    let args = call.data.args;
    match i64::from(call.data.nr) {
        libc::SYS_connect => target.connect(args, rules),
        libc::SYS_sendto => target.send_to(args, rules),
        libc::SYS_sendmsg => {
            let (socket, kind) = target.socket(args[0])?;
            let header = target.read_header(args[1])?;
            target.send_message(&socket, kind, &header, args[2] as i32, rules)
        }
        libc::SYS_sendmmsg => target.send_messages(args, rules),
        _ => Err(libc::ENOSYS),
    }
}

/// The program's thread that made the call.
struct Target {
    tid: i32,
    tgid: i32,
    pidfd: OwnedFd,
}

impl Target {
    fn open(listener: BorrowedFd, call: &libc::seccomp_notif) -> Result<Target, i32> {
        let tid = call.pid as i32;
        let status =
            std::fs::read_to_string(format!("/proc/{tid}/status")).map_err(|_| libc::ESRCH)?;
        let tgid: i32 = status
            .lines()
            .find_map(|l| l.strip_prefix("Tgid:"))
            .and_then(|v| v.trim().parse().ok())
            .ok_or(libc::ESRCH)?;
        // SAFETY: pidfd_open returns a new descriptor or -1.
        let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, tgid, 0) } as i32;
        if pidfd < 0 {
            return Err(errno());
        }
        // SAFETY: the descriptor was just created and is ours.
        let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
        // Still waiting for us, so `tid` was not reused for another process
        // while we looked it up.
        // SAFETY: the ioctl reads the id.
        let id = call.id;
        if unsafe {
            libc::ioctl(
                listener.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_ID_VALID,
                &id,
            )
        } != 0
        {
            return Err(libc::ESRCH);
        }
        Ok(Target { tid, tgid, pidfd })
    }

    /// The program's socket `fd` (the same open socket, in the grader) and its type.
    fn socket(&self, fd: u64) -> Result<(OwnedFd, i32), i32> {
        // SAFETY: pidfd_getfd returns a new descriptor (close-on-exec) or -1.
        let copy =
            unsafe { libc::syscall(libc::SYS_pidfd_getfd, self.pidfd.as_raw_fd(), fd as i32, 0) }
                as i32;
        if copy < 0 {
            return Err(errno());
        }
        // SAFETY: the descriptor was just created and is ours.
        let copy = unsafe { OwnedFd::from_raw_fd(copy) };
        let mut kind: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: getsockopt writes an int into `kind`.
        let result = unsafe {
            libc::getsockopt(
                copy.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_TYPE,
                (&mut kind as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        if result != 0 {
            return Err(errno());
        }
        Ok((copy, kind))
    }

    /// `len` bytes at `address` in the program, copied.
    fn read(&self, address: u64, len: usize) -> Result<Vec<u8>, i32> {
        let mut bytes = vec![0u8; len];
        if len == 0 {
            return Ok(bytes);
        }
        let local = libc::iovec {
            iov_base: bytes.as_mut_ptr().cast(),
            iov_len: len,
        };
        let remote = libc::iovec {
            iov_base: address as *mut libc::c_void,
            iov_len: len,
        };
        // SAFETY: the kernel writes at most `len` bytes into `bytes`.
        let n = unsafe { libc::process_vm_readv(self.tid, &local, 1, &remote, 1, 0) };
        if n < 0 {
            return Err(errno());
        }
        if n as usize != len {
            return Err(libc::EFAULT);
        }
        Ok(bytes)
    }

    fn write(&self, address: u64, bytes: &[u8]) -> Result<(), i32> {
        let local = libc::iovec {
            iov_base: bytes.as_ptr() as *mut libc::c_void,
            iov_len: bytes.len(),
        };
        let remote = libc::iovec {
            iov_base: address as *mut libc::c_void,
            iov_len: bytes.len(),
        };
        // SAFETY: the kernel only reads `bytes` here.
        let n = unsafe { libc::process_vm_writev(self.tid, &local, 1, &remote, 1, 0) };
        if n as usize != bytes.len() {
            return Err(libc::EFAULT);
        }
        Ok(())
    }

    /// A `sockaddr` of the program's: `len` as the kernel bounds it.
    fn read_address(&self, address: u64, len: u64) -> Result<Vec<u8>, i32> {
        if len as usize > ADDRESS_LIMIT || len > u64::from(u32::MAX) {
            return Err(libc::EINVAL);
        }
        self.read(address, len as usize)
    }

    /// The data to send: everything, or for a stream socket the first
    /// `COPY_LIMIT` bytes (a partial write, which TCP programs must handle).
    fn read_data(&self, pieces: &[(u64, usize)], kind: i32) -> Result<Vec<u8>, i32> {
        let total: usize = pieces.iter().map(|p| p.1).fold(0, usize::saturating_add);
        if total > COPY_LIMIT && kind != libc::SOCK_STREAM {
            return Err(libc::EMSGSIZE);
        }
        let mut data = Vec::with_capacity(total.min(COPY_LIMIT));
        for &(address, len) in pieces {
            let room = COPY_LIMIT - data.len();
            if room == 0 {
                break;
            }
            data.extend(self.read(address, len.min(room))?);
        }
        Ok(data)
    }

    fn connect(&self, args: [u64; 6], rules: &Rules) -> Result<i64, i32> {
        let (socket, kind) = self.socket(args[0])?;
        let address = self.read_address(args[1], args[2])?;
        rules.check(Call::Connect, kind, &address)?;
        // SAFETY: connect reads our copy of the address.
        let result = unsafe {
            libc::connect(
                socket.as_raw_fd(),
                address.as_ptr().cast(),
                address.len() as libc::socklen_t,
            )
        };
        if result != 0 {
            return Err(errno());
        }
        Ok(0)
    }

    fn send_to(&self, args: [u64; 6], rules: &Rules) -> Result<i64, i32> {
        let (socket, kind) = self.socket(args[0])?;
        let flags = args[3] as i32;
        let address = if args[4] == 0 {
            None
        } else {
            let address = self.read_address(args[4], args[5])?;
            rules.check(Call::Send, kind, &address)?;
            Some(address)
        };
        check_flags(flags)?;
        let data = self.read_data(&[(args[1], args[2] as usize)], kind)?;
        let (name, name_len) = address
            .as_ref()
            .map_or((std::ptr::null(), 0), |a| (a.as_ptr(), a.len()));
        // SAFETY: sendto reads our copies of the data and the address.
        let sent = unsafe {
            libc::sendto(
                socket.as_raw_fd(),
                data.as_ptr().cast(),
                data.len(),
                flags | libc::MSG_NOSIGNAL,
                name.cast(),
                name_len as libc::socklen_t,
            )
        };
        self.sent(sent as i64, flags)
    }

    fn read_header(&self, address: u64) -> Result<libc::msghdr, i32> {
        let bytes = self.read(address, std::mem::size_of::<libc::msghdr>())?;
        // SAFETY: `msghdr` is plain data; the pointers in it are the
        // program's addresses, used only as numbers to read from.
        Ok(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast()) })
    }

    fn send_message(
        &self,
        socket: &OwnedFd,
        kind: i32,
        header: &libc::msghdr,
        flags: i32,
        rules: &Rules,
    ) -> Result<i64, i32> {
        check_flags(flags)?;
        // Ancillary data may carry descriptor numbers, which would name the
        // grader's files here: refused.
        if header.msg_controllen != 0 {
            return Err(libc::EACCES);
        }
        let address = if header.msg_name.is_null() || header.msg_namelen == 0 {
            None
        } else {
            let address =
                self.read_address(header.msg_name as u64, u64::from(header.msg_namelen))?;
            rules.check(Call::Send, kind, &address)?;
            Some(address)
        };
        #[allow(clippy::unnecessary_cast)] // a c_int with musl
        let count = header.msg_iovlen as usize;
        if count > VECTOR_LIMIT {
            return Err(libc::EMSGSIZE);
        }
        let vector = self.read(
            header.msg_iov as u64,
            count * std::mem::size_of::<libc::iovec>(),
        )?;
        let pieces: Vec<(u64, usize)> = vector
            .chunks_exact(std::mem::size_of::<libc::iovec>())
            .map(|chunk| {
                // SAFETY: an iovec is plain data (the program's numbers).
                let iov: libc::iovec = unsafe { std::ptr::read_unaligned(chunk.as_ptr().cast()) };
                (iov.iov_base as u64, iov.iov_len)
            })
            .collect();
        let mut data = self.read_data(&pieces, kind)?;
        let mut iov = libc::iovec {
            iov_base: data.as_mut_ptr().cast(),
            iov_len: data.len(),
        };
        // SAFETY: an all-zero msghdr is valid; it points at our copies only.
        let mut ours: libc::msghdr = unsafe { std::mem::zeroed() };
        if let Some(address) = &address {
            ours.msg_name = address.as_ptr() as *mut libc::c_void;
            ours.msg_namelen = address.len() as libc::socklen_t;
        }
        ours.msg_iov = &mut iov;
        ours.msg_iovlen = 1;
        // SAFETY: sendmsg reads our header and the copies it points at.
        let sent = unsafe { libc::sendmsg(socket.as_raw_fd(), &ours, flags | libc::MSG_NOSIGNAL) };
        self.sent(sent as i64, flags)
    }

    /// `sendmmsg`: message by message; the count sent, written back as the
    /// kernel does (`msg_len`).
    fn send_messages(&self, args: [u64; 6], rules: &Rules) -> Result<i64, i32> {
        let (socket, kind) = self.socket(args[0])?;
        let count = (args[2] as u32 as usize).min(VECTOR_LIMIT);
        let flags = args[3] as i32;
        let size = std::mem::size_of::<libc::mmsghdr>() as u64;
        let mut sent = 0;
        for i in 0..count as u64 {
            let entry = args[1] + i * size;
            let result = self
                .read_header(entry)
                .and_then(|header| self.send_message(&socket, kind, &header, flags, rules));
            match result {
                Ok(bytes) => {
                    let offset = std::mem::offset_of!(libc::mmsghdr, msg_len) as u64;
                    self.write(entry + offset, &(bytes as u32).to_ne_bytes())?;
                    sent += 1;
                }
                Err(error) if sent == 0 => return Err(error),
                Err(_) => break,
            }
        }
        Ok(sent)
    }

    /// The result of a send made here. A broken stream raises `SIGPIPE` in
    /// the program, as the kernel would have, unless it asked not to.
    fn sent(&self, result: i64, flags: i32) -> Result<i64, i32> {
        if result >= 0 {
            return Ok(result);
        }
        let error = errno();
        if error == libc::EPIPE && flags & libc::MSG_NOSIGNAL == 0 {
            // SAFETY: tgkill only sends a signal to the program's thread.
            unsafe { libc::syscall(libc::SYS_tgkill, self.tgid, self.tid, libc::SIGPIPE) };
        }
        Err(error)
    }
}

/// `MSG_FASTOPEN` connects a TCP socket inside `sendto`: refused, as the
/// grader would be the one connecting (unseen by Landlock).
fn check_flags(flags: i32) -> Result<(), i32> {
    if flags & libc::MSG_FASTOPEN != 0 {
        return Err(libc::EACCES);
    }
    Ok(())
}
