//! The child's half of the sandbox: what runs between fork and exec.

use std::io;

/// The child's half: plain data, used between fork and exec.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The Landlock ruleset's file descriptor, or -1 without Landlock.
    pub(super) ruleset: i32,
    /// Whether to empty the capability bounding set (the grader is root).
    pub(super) drop_bounding: bool,
    /// The highest capability number of this kernel.
    pub(super) last_cap: i32,
    /// The seccomp deny filter (see `seccomp`), empty where seccomp is missing.
    pub(super) deny: &'static [Instruction],
    /// For a program allowed UDP: the notify filter and the channel its
    /// listener goes to the grader through (see `supervisor`).
    pub(super) notify: Option<Notify>,
}

/// The child's part in the UDP watch: plain data too.
#[derive(Clone, Copy, Debug)]
pub(super) struct Notify {
    pub(super) channel: i32,
    pub(super) filter: &'static [Instruction],
    pub(super) killable: bool,
}

#[cfg(target_os = "linux")]
use super::seccomp::Instruction;
/// No filters outside Linux.
#[cfg(not(target_os = "linux"))]
pub(super) type Instruction = ();

#[cfg(target_os = "linux")]
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[cfg(target_os = "linux")]
#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

impl Entry {
    /// Enters the sandbox: runs in the child between fork and exec, so only
    /// async-signal-safe syscalls on data prepared before fork.
    #[cfg(target_os = "linux")]
    pub fn enter(&self) -> io::Result<()> {
        const CAPABILITY_VERSION_3: u32 = 0x2008_0522;
        // SAFETY: prctl/capset/landlock_restrict_self only read the values and
        // the stack structs passed; none allocates or takes a lock.
        unsafe {
            // No setuid or file capability can raise what the program has;
            // it is also what lets an unprivileged process enter Landlock.
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            if self.drop_bounding {
                // An empty bounding set: exec can never give uid 0 its
                // capabilities back.
                for cap in 0..=self.last_cap {
                    if libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 {
                        let error = io::Error::last_os_error();
                        if error.raw_os_error() != Some(libc::EINVAL) {
                            return Err(error);
                        }
                    }
                }
            }
            // Ambient capabilities exist since Linux 4.3; EINVAL before that.
            libc::prctl(
                libc::PR_CAP_AMBIENT,
                libc::PR_CAP_AMBIENT_CLEAR_ALL,
                0,
                0,
                0,
            );
            let header = CapHeader {
                version: CAPABILITY_VERSION_3,
                pid: 0,
            };
            let empty = [CapData {
                effective: 0,
                permitted: 0,
                inheritable: 0,
            }; 2];
            if libc::syscall(libc::SYS_capset, &header, empty.as_ptr()) != 0 {
                return Err(io::Error::last_os_error());
            }
            if self.ruleset >= 0
                && libc::syscall(libc::SYS_landlock_restrict_self, self.ruleset, 0) != 0
            {
                return Err(io::Error::last_os_error());
            }
        }
        // The notify filter first: its listener must reach the grader before
        // the deny filter closes the way (see `supervisor`).
        if let Some(notify) = self.notify {
            super::supervisor::hand_over(notify.channel, notify.filter, notify.killable)?;
        }
        if !self.deny.is_empty() {
            super::seccomp::install(self.deny)?;
        }
        Ok(())
    }

    #[cfg(not(target_os = "linux"))]
    pub fn enter(&self) -> io::Result<()> {
        Ok(())
    }
}
