//! What this machine's kernel lets the sandbox enforce, detected once.

use std::sync::OnceLock;

/// The newest Landlock ABI whose rights this module asks for (and is tested
/// with). A newer kernel is used at this level: new rights are never asked for
/// untested.
pub const TESTED_ABI: i32 = 6;

/// Caps the ABI used (tests simulate older kernels with it; `0` = no Landlock).
const ABI_CAP_VARIABLE: &str = "TOMADA_LANDLOCK_ABI";

/// What this machine's kernel lets the sandbox enforce.
#[derive(Clone, Debug)]
pub struct Support {
    /// The ABI the kernel reports (0: no Landlock).
    pub kernel_abi: i32,
    /// The ABI used: the kernel's, capped by [`TESTED_ABI`] and the test variable.
    pub abi: i32,
    /// Why Landlock is not there, in pt-BR, when it is not.
    pub why_not: Option<String>,
    /// Whether the seccomp deny filter applies here (no new UNIX socket, no
    /// UDP or raw socket outside the UDP lab).
    pub seccomp: bool,
    /// Whether the grader can check every datagram's destination for the
    /// programs allowed UDP (seccomp user notification and `pidfd_getfd`).
    pub udp_guard: bool,
    /// Whether a checked call, once read by the grader, waits only for fatal
    /// signals (Linux 5.19; see `seccomp::NotifySupport`).
    pub killable_notify: bool,
}

/// One protection and the Landlock ABI (and kernel) it needs.
pub struct Protection {
    pub name: &'static str,
    pub abi: i32,
    pub kernel: &'static str,
}

/// What Landlock enforces, by ABI.
pub const PROTECTIONS: [Protection; 3] = [
    Protection {
        name: "arquivos (só o próprio programa, o sistema e uma pasta de rascunho)",
        abi: 1,
        kernel: "Linux 5.13",
    },
    Protection {
        name: "rede TCP (bind só na PORTA, connect só na porta do corretor)",
        abi: 4,
        kernel: "Linux 6.7",
    },
    Protection {
        name: "sinais e sockets UNIX abstratos para fora do isolamento",
        abi: 6,
        kernel: "Linux 6.12",
    },
];

/// What the seccomp filters add (see `seccomp` and `supervisor`).
const UNIX_SOCKETS: &str = "nenhum socket UNIX novo, nem UDP, raw ou de outra família fora dos laboratórios de UDP (seccomp)";
const UDP_LOOPBACK: &str =
    "nos laboratórios de UDP, datagramas só para o loopback (seccomp, conferidos pelo corretor)";

impl Support {
    /// Whether Landlock confines the filesystem at all.
    pub fn landlock(&self) -> bool {
        self.abi >= 1
    }

    pub fn network(&self) -> bool {
        self.abi >= 4
    }

    pub fn scopes(&self) -> bool {
        self.abi >= 6
    }

    /// The protections this machine cannot give, in pt-BR.
    pub fn missing(&self) -> Vec<String> {
        let mut missing: Vec<String> = PROTECTIONS
            .iter()
            .filter(|p| self.abi < p.abi)
            .map(|p| {
                format!(
                    "{} (precisa de Landlock ABI {}, {})",
                    p.name, p.abi, p.kernel
                )
            })
            .collect();
        if !self.seccomp {
            missing.push(format!(
                "{UNIX_SOCKETS} (precisa de seccomp, x86_64 ou aarch64)"
            ));
        }
        if !self.udp_guard {
            missing.push(format!(
                "{UDP_LOOPBACK} (precisa de seccomp com aviso ao espaço de usuário e \
                 pidfd_getfd, Linux 5.9)"
            ));
        }
        missing
    }

    /// One line for the terminal and the reports, in pt-BR.
    pub fn describe(&self) -> String {
        if !self.landlock() {
            return format!(
                "sem Landlock ({}): só sem privilégios e com pasta de rascunho",
                self.why_not.as_deref().unwrap_or("indisponível")
            );
        }
        let mut enforced: Vec<&str> = PROTECTIONS
            .iter()
            .filter(|p| self.abi >= p.abi)
            .map(|p| p.name)
            .collect();
        if self.seccomp {
            enforced.push(UNIX_SOCKETS);
        }
        if self.udp_guard {
            enforced.push(UDP_LOOPBACK);
        }
        let mut text = format!(
            "Landlock ABI {} (núcleo: {}): {}; sem capacidades, no_new_privs",
            self.abi,
            self.kernel_abi,
            enforced.join("; ")
        );
        let missing = self.missing();
        if !missing.is_empty() {
            text.push_str(&format!(". Faltam: {}", missing.join("; ")));
        }
        text
    }
}

/// The machine's support, detected once.
pub fn support() -> &'static Support {
    static SUPPORT: OnceLock<Support> = OnceLock::new();
    SUPPORT.get_or_init(|| {
        let cap = std::env::var(ABI_CAP_VARIABLE)
            .ok()
            .and_then(|v| v.trim().parse::<i32>().ok());
        let (kernel_abi, mut why_not) = detect();
        let mut abi = kernel_abi.min(TESTED_ABI);
        if let Some(cap) = cap.filter(|&cap| cap < abi) {
            abi = cap.max(0);
            if abi == 0 {
                why_not = Some(format!("simulado por {ABI_CAP_VARIABLE}=0"));
            }
        }
        let seccomp = seccomp_available();
        let notify = notify_support();
        Support {
            kernel_abi,
            abi,
            why_not,
            seccomp,
            udp_guard: seccomp && notify.0,
            killable_notify: notify.1,
        }
    })
}

#[cfg(target_os = "linux")]
fn seccomp_available() -> bool {
    super::seccomp::available()
}

#[cfg(not(target_os = "linux"))]
fn seccomp_available() -> bool {
    false
}

/// (user notification usable, killable wait).
#[cfg(target_os = "linux")]
fn notify_support() -> (bool, bool) {
    let probed = super::seccomp::probe_notify();
    (probed.usable, probed.killable)
}

#[cfg(not(target_os = "linux"))]
fn notify_support() -> (bool, bool) {
    (false, false)
}

/// Restricts a throwaway thread (Landlock applies per thread unless asked
/// otherwise) and reads what took effect.
#[cfg(target_os = "linux")]
fn detect() -> (i32, Option<String>) {
    use landlock::{
        ABI, Access, AccessFs, AccessNet, LandlockStatus, Ruleset, RulesetAttr, RulesetStatus,
        Scope,
    };
    let probe = std::thread::spawn(|| {
        let abi = ABI::V6;
        Ruleset::default()
            .handle_access(AccessFs::from_all(abi))?
            .handle_access(AccessNet::from_all(abi))?
            .scope(Scope::from_all(abi))?
            .create()?
            .restrict_self()
    });
    match probe.join() {
        Ok(Ok(status)) => match (status.landlock, status.ruleset) {
            (_, RulesetStatus::NotEnforced) | (LandlockStatus::NotImplemented, _) => (
                0,
                Some("o núcleo não tem Landlock (Linux 5.13 ou mais novo)".to_owned()),
            ),
            (LandlockStatus::NotEnabled, _) => (
                0,
                Some(
                    "o núcleo tem Landlock, mas desligado (falta `lsm=...,landlock` na \
                     inicialização)"
                        .to_owned(),
                ),
            ),
            (
                LandlockStatus::Available {
                    effective_abi,
                    kernel_abi,
                },
                _,
            ) => (kernel_abi.unwrap_or(effective_abi as i32), None),
        },
        Ok(Err(error)) => (
            0,
            Some(format!("o Landlock recusou a regra de teste: {error}")),
        ),
        Err(_) => (0, Some("o teste do Landlock falhou".to_owned())),
    }
}

#[cfg(not(target_os = "linux"))]
fn detect() -> (i32, Option<String>) {
    (0, Some("Landlock só existe no Linux".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_protections_name_the_kernel() {
        let partial = Support {
            kernel_abi: 3,
            abi: 3,
            why_not: None,
            seccomp: true,
            udp_guard: true,
            killable_notify: true,
        };
        let missing = partial.missing();
        assert_eq!(missing.len(), 2, "{missing:?}");
        assert!(missing[0].contains("Linux 6.7"), "{missing:?}");
        assert!(partial.describe().contains("Faltam"));
        let full = Support {
            kernel_abi: 7,
            abi: 6,
            why_not: None,
            seccomp: true,
            udp_guard: true,
            killable_notify: true,
        };
        assert!(full.missing().is_empty());
    }
}
