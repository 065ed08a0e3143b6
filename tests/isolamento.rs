//! `cargo xtask grade` on a hostile class (`tests/fixtures/hostil/`): inside the
//! sandbox every attempt to leave it is denied, the honest verdicts are the
//! same, nothing is left running, and the summary names who tried; the same
//! class with `--sem-isolamento` shows the attempts succeed (so this test can
//! fail). `.ci/run` also runs this file as an unprivileged user.

mod comum;

use std::io::Read as _;
use std::net::TcpListener;
use std::os::linux::net::SocketAddrExt as _;
use std::os::unix::net::{SocketAddr, UnixListener};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Lab 01 solved, under the starter's crate name, in `student`'s submission.
fn solved_lab_01(class: &Path, student: &str) -> PathBuf {
    let src = class.join(student).join("labs/01-basico/inicio/src");
    comum::copy_dir(&comum::root().join("labs/01-basico/solucao/src"), &src);
    for file in ["lib.rs", "bin/servidor.rs", "bin/cliente.rs"] {
        let path = src.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(path, text.replace("basico_solucao", "basico_inicio")).unwrap();
    }
    src
}

/// Everything one run needs: the class, the "teacher's" home with a marker
/// file, a folder outside every sandbox, and a port that is not the grader's.
struct Scene {
    base: PathBuf,
    class: PathBuf,
    out: PathBuf,
    secret: PathBuf,
    outside: PathBuf,
    foreign: TcpListener,
    /// An abstract UNIX socket of the test's (no file: only Landlock's scope bars it).
    abstract_name: String,
    _abstract: UnixListener,
    /// A UNIX socket with a path, like the teacher's D-Bus or ssh-agent.
    socket_path: PathBuf,
    _socket: UnixListener,
    /// A UDP socket of the test's on loopback (lab 01 has no UDP).
    udp: std::net::UdpSocket,
}

const MARKER: &str = "segredo-da-professora-7f3a";

fn scene(name: &str) -> Scene {
    let base = std::env::temp_dir().join(format!("tomada-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let class = base.join("entregas");
    let home = base.join("professora");
    std::fs::create_dir_all(&home).unwrap();
    let secret = home.join("segredo.txt");
    std::fs::write(&secret, format!("{MARKER}\n")).unwrap();
    let fixtures = comum::root().join("tests/fixtures/hostil");
    solved_lab_01(&class, "ana");
    for student in ["caco", "ivo", "ciro"] {
        let src = solved_lab_01(&class, student);
        std::fs::copy(
            fixtures.join(format!("{student}-01-servidor.rs")),
            src.join("bin/servidor.rs"),
        )
        .unwrap();
    }
    let foreign = TcpListener::bind("127.0.0.1:0").unwrap();
    let abstract_name = format!("tomada-{name}-{}", std::process::id());
    let abstract_listener =
        UnixListener::bind_addr(&SocketAddr::from_abstract_name(&abstract_name).unwrap()).unwrap();
    let socket_path = base.join("agente.sock");
    let socket = UnixListener::bind(&socket_path).unwrap();
    Scene {
        udp: std::net::UdpSocket::bind("127.0.0.1:0").unwrap(),
        socket_path,
        _socket: socket,
        abstract_name,
        _abstract: abstract_listener,
        out: base.join("notas"),
        outside: base.join("fora"),
        base,
        class,
        secret,
        foreign,
    }
}

/// Where a tool keeps its files, as the grader would find it without our HOME.
fn tool_home(variable: &str, default: &str) -> PathBuf {
    std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(default))
}

/// Runs `grade` on the scene with the teacher's HOME and the targets.
fn grade(scene: &Scene, extra: &[&str]) -> std::process::Output {
    let root = comum::root();
    let port = scene.foreign.local_addr().unwrap().port();
    comum::xtask()
        // One at a time: ana's build comes before caco's, which reads the
        // shared target folder at compile time.
        .args(["grade", "--labs", "01", "--jobs", "1", "--timeout", "3000"])
        .args(extra)
        .arg("--out")
        .arg(&scene.out)
        .arg(&scene.class)
        // The teacher's own folder; cargo and rustup keep their real homes.
        .env("CARGO_HOME", tool_home("CARGO_HOME", ".cargo"))
        .env("RUSTUP_HOME", tool_home("RUSTUP_HOME", ".rustup"))
        .env("HOME", scene.secret.parent().unwrap())
        .env("TOMADA_ALVO_SEGREDO", &scene.secret)
        .env("TOMADA_ALVO_FORA", &scene.outside)
        .env(
            "TOMADA_ALVO_OUTRA",
            scene
                .class
                .join("ana/labs/01-basico/inicio/src/bin/servidor.rs"),
        )
        .env(
            "TOMADA_ALVO_SNAP",
            root.join("labs/01-basico/transcricao.snap"),
        )
        .env(
            "TOMADA_ALVO_BINARIO",
            // The binary the grader kept for ana (the shared target keeps none).
            scene.out.join("trabalho/ana/bin/01-basico/servidor"),
        )
        .env("TOMADA_ALVO_PORTA", port.to_string())
        .env("TOMADA_ALVO_ABSTRATO", &scene.abstract_name)
        .env("TOMADA_ALVO_SOCKET", &scene.socket_path)
        .env(
            "TOMADA_ALVO_UDP",
            scene.udp.local_addr().unwrap().port().to_string(),
        )
        .output()
        .unwrap()
}

/// What reached the foreign port during the run (connections wait in its backlog).
fn received_on_foreign_port(scene: &Scene) -> String {
    scene.foreign.set_nonblocking(true).unwrap();
    let mut text = String::new();
    while let Ok((mut connection, _)) = scene.foreign.accept() {
        connection.set_nonblocking(false).unwrap();
        let _ = connection.read_to_string(&mut text);
    }
    text
}

fn json(out: &Path, student: &str) -> Value {
    let text = std::fs::read_to_string(out.join("json").join(format!("{student}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn all_passed(results: &Value) -> bool {
    results["tests"]
        .as_array()
        .is_some_and(|t| t.len() == 7 && t.iter().all(|t| t["status"] == "pass"))
}

/// Processes whose executable lives under `dir` (the graded submissions).
fn processes_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        if let Ok(exe) = std::fs::read_link(entry.path().join("exe"))
            && exe.starts_with(dir)
        {
            found.push(format!("{:?} {}", entry.file_name(), exe.display()));
        }
    }
    found
}

/// Each attempt the hostile server makes, as its stderr names it.
const ATTEMPTS: [&str; 12] = [
    "escrever fora do rascunho",
    "ler a entrega de outro aluno",
    "ler o arquivo da professora",
    "sobrescrever a transcricao.snap da apostila",
    "sobrescrever o binário de outro aluno",
    "abrir uma segunda porta",
    "mandar um datagrama UDP",
    "kill(corretor, 0)",
    "ptrace(corretor)",
    "conectar num socket UNIX abstrato de fora",
    "conectar num socket UNIX com caminho de fora",
    "conectar numa porta que não é a do corretor",
];

/// include_bytes! of the binary the previous build left in the shared target
/// folder: nothing is left there, so it does not compile.
fn assert_caco_found_nothing(out: &Path) {
    let caco = json(out, "caco");
    assert_eq!(caco["status"], "error", "{caco:#}");
    let message = caco["message"].as_str().unwrap();
    assert!(
        message.contains("couldn't read") && message.contains("target/debug/servidor"),
        "{message}"
    );
}

#[test]
fn turma_hostil_isolada_tem_todas_as_tentativas_negadas() {
    let support = xtask::sandbox::support();
    assert!(
        support.abi >= 6,
        "este teste precisa de Landlock ABI 6 (Linux 6.12): {}",
        support.describe()
    );
    let scene = scene("isolada");
    let output = grade(&scene, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let left = processes_under(&scene.out);
    assert!(left.is_empty(), "processos que sobraram: {left:?}");

    // Honest verdicts: the hostile server serves as well as the honest one.
    let ana = json(&scene.out, "ana");
    assert!(all_passed(&ana), "{ana:#}");
    assert_eq!(ana["acessos_negados"], serde_json::json!([]), "{ana:#}");
    let ivo = json(&scene.out, "ivo");
    assert!(all_passed(&ivo), "{ivo:#}");
    assert!(
        ivo["isolamento"].as_str().unwrap().starts_with("isolado"),
        "{ivo:#}"
    );

    // Every attempt is in the report, denied, in the program's own words.
    let denied: Vec<&str> = ivo["acessos_negados"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for attempt in ATTEMPTS {
        assert!(
            denied
                .iter()
                .any(|line| line.contains(&format!("{attempt}: negado"))),
            "{attempt} não aparece negado em {denied:#?}"
        );
    }
    // And again from the `/bin/sh` child: read, write, read, signal.
    let from_child = denied.iter().filter(|l| l.contains("[ivo/sh]")).count();
    assert!(from_child >= 4, "{denied:#?}");
    assert!(
        !denied.iter().any(|l| l.contains("CONSEGUI")),
        "{denied:#?}"
    );

    // Nothing escaped: no bytes on the foreign port, no datagram, no file outside.
    assert_eq!(received_on_foreign_port(&scene), "");
    assert_eq!(drain(&scene.udp), Vec::<String>::new());
    assert!(!scene.base.join("fora-ivo.txt").exists());
    assert!(!scene.base.join("fora-ivo-sh.txt").exists());

    // include_str! of the teacher's file: a build error, 0 for the lab, the
    // compiler's message in the report, the secret nowhere.
    let ciro = json(&scene.out, "ciro");
    assert_eq!(ciro["status"], "error", "{ciro:#}");
    let message = ciro["message"].as_str().unwrap();
    assert!(
        message.contains("couldn't read") && message.contains("Permission denied"),
        "{message}"
    );
    assert!(!ciro.to_string().contains(MARKER), "{ciro:#}");
    let csv = std::fs::read_to_string(scene.out.join("notas.csv")).unwrap();
    assert!(csv.contains("\nciro,0,0,7\n"), "{csv}");
    assert_caco_found_nothing(&scene.out);
    assert!(csv.contains("\nivo,7,7,7\n"), "{csv}");

    // The teacher's summary names who tried to leave, and only them.
    let summary = std::fs::read_to_string(scene.out.join("resumo.md")).unwrap();
    assert!(
        summary.contains("Isolamento desta avaliação: isolado"),
        "{summary}"
    );
    let tried = summary
        .split("## Tentaram sair do isolamento")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(
        tried.contains("**ciro**") && tried.contains("**ivo**"),
        "{tried}"
    );
    assert!(!tried.contains("**ana**"), "{tried}");
    assert!(
        stdout.contains("Tentaram sair do isolamento: ciro, ivo"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&scene.base);
}

#[test]
fn turma_hostil_sem_isolamento_consegue_tudo() {
    let scene = scene("sem-isolamento");
    let output = grade(&scene, &["--sem-isolamento"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("--sem-isolamento") && stderr.contains("~/.ssh"),
        "{stderr}"
    );
    let left = processes_under(&scene.out);
    assert!(left.is_empty(), "processos que sobraram: {left:?}");

    // The same honest verdicts…
    assert!(all_passed(&json(&scene.out, "ana")));
    let ivo = json(&scene.out, "ivo");
    assert!(all_passed(&ivo), "{ivo:#}");
    assert!(
        ivo["isolamento"]
            .as_str()
            .unwrap()
            .starts_with("NÃO ISOLADO"),
        "{ivo:#}"
    );
    // …but every attempt worked: what it took arrived on the foreign port.
    let leaked = received_on_foreign_port(&scene);
    for attempt in ATTEMPTS
        .iter()
        .filter(|a| !a.starts_with("conectar"))
        .chain(&["sh"])
    {
        assert!(
            leaked.contains(&format!("{attempt}=")),
            "{attempt} não vazou: {leaked}"
        );
    }
    assert!(leaked.contains(MARKER), "{leaked}");
    assert_eq!(drain(&scene.udp), ["ivo"]);
    assert!(scene.base.join("fora-ivo.txt").exists());
    assert!(scene.base.join("fora-ivo-sh.txt").exists());
    // The shared target is scrubbed whether isolated or not.
    assert_caco_found_nothing(&scene.out);
    // include_str! embedded the teacher's file, and the lab passed.
    assert!(all_passed(&json(&scene.out, "ciro")));
    let summary = std::fs::read_to_string(scene.out.join("resumo.md")).unwrap();
    assert!(summary.contains("NÃO ISOLADO"), "{summary}");
    let _ = std::fs::remove_dir_all(&scene.base);
}

/// Lab 07 solved, under the starter's crate name, with lia's hostile server:
/// the class of one, its folder outside every sandbox, and the run's output.
fn grade_lia(name: &str, extra: &[&str]) -> (PathBuf, std::process::Output) {
    let base = std::env::temp_dir().join(format!("tomada-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let src = base.join("entregas/lia/labs/07-arquivos/inicio/src");
    comum::copy_dir(&comum::root().join("labs/07-arquivos/solucao/src"), &src);
    for file in ["lib.rs", "bin/cliente.rs"] {
        let path = src.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(path, text.replace("arquivos_solucao", "arquivos_inicio")).unwrap();
    }
    std::fs::copy(
        comum::root().join("tests/fixtures/hostil/lia-07-servidor.rs"),
        src.join("bin/servidor.rs"),
    )
    .unwrap();
    let outside = base.join("fora");
    std::fs::create_dir_all(&outside).unwrap();
    let output = comum::xtask()
        .args(["grade", "--labs", "07", "--jobs", "1", "--timeout", "5000"])
        .args(extra)
        .arg("--out")
        .arg(base.join("notas"))
        .arg(base.join("entregas"))
        .env("TOMADA_ALVO_FORA", &outside)
        .output()
        .unwrap();
    (base, output)
}

/// The lab 07 program of the hostile class tries to write outside `PASTA`:
/// isolated, both writes are denied and its grades are an honest server's;
/// without isolation, both files appear (so this test can fail).
#[test]
fn arquivos_hostil_nao_escreve_fora_da_pasta() {
    let (base, output) = grade_lia("arquivos-hostil", &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let lia = json(&base.join("notas"), "lia");
    let tests = lia["tests"].as_array().unwrap();
    assert!(
        !tests.is_empty() && tests.iter().all(|t| t["status"] == "pass"),
        "{lia:#}"
    );
    let denied: Vec<&str> = lia["acessos_negados"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for attempt in ["escrever ao lado da PASTA", "escrever no alvo de fora"] {
        assert!(
            denied
                .iter()
                .any(|l| l.contains(&format!("{attempt}: negado"))),
            "{attempt} não aparece negado em {denied:#?}"
        );
    }
    assert!(!base.join("fora/fora-lia.txt").exists());
    let _ = std::fs::remove_dir_all(&base);

    let (base, output) = grade_lia("arquivos-sem-isolamento", &["--sem-isolamento"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(base.join("fora/fora-lia.txt").exists());
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn grade_sem_landlock_recusa_e_aponta_o_github_classroom() {
    let base = std::env::temp_dir().join(format!("tomada-sem-landlock-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    solved_lab_01(&base.join("entregas"), "ana");
    let output = comum::xtask()
        .args(["grade", "--labs", "01", "--out"])
        .arg(base.join("notas"))
        .arg(base.join("entregas"))
        .env("TOMADA_LANDLOCK_ABI", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("não avalio entregas sem isolamento")
            && stderr.contains("xtask/modelos/github-classroom.yml")
            && stderr.contains("--sem-isolamento"),
        "{stderr}"
    );
    assert!(!base.join("notas").exists(), "nada foi avaliado");
    let _ = std::fs::remove_dir_all(&base);
}

/// A local address of this machine that is not loopback (the one a route
/// to the documentation network would use; `connect` on UDP sends nothing),
/// if it has one: a datagram sent there that reaches the test escaped.
fn non_loopback_address() -> Option<std::net::IpAddr> {
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    probe.connect("198.51.100.1:9").ok()?;
    let ip = probe.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// Everything that reached a socket of the test, until nothing more comes.
fn drain(socket: &std::net::UdpSocket) -> Vec<String> {
    socket.set_nonblocking(true).unwrap();
    let mut received = Vec::new();
    let mut buffer = vec![0u8; 65536];
    while let Ok((n, _)) = socket.recv_from(&mut buffer) {
        received.push(String::from_utf8_lossy(&buffer[..n]).into_owned());
    }
    received
}

/// The test's last datagram to its own loopback socket.
const END: &str = "fim do teste";

/// What one run of `tests/fixtures/hostil/udp.py` left behind.
struct UdpRun {
    stderr: String,
    /// Datagrams on the test's loopback socket.
    loopback: Vec<String>,
    /// Datagrams on the test's socket at the non-loopback address.
    escaped: Vec<String>,
    /// Bytes on the test's TCP port (the program's `PORTA`).
    tcp: String,
    exited_well: bool,
}

/// Runs the fixture as the grader runs a lab program (`Program::spawn`,
/// sandboxed unless `sandbox::set_enabled(false)`), with the UDP policy
/// `udp` makes from the test's loopback port (`None`: UDP denied).
/// `outside`: whether to give it the documentation addresses to try.
fn run_udp_fixture(
    mode: &str,
    outside: bool,
    udp: impl FnOnce(u16) -> Option<xtask::sandbox::Udp>,
) -> UdpRun {
    use std::io::Read as _;
    use xtask::process::{Launch, Program, Start};
    let loopback = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let loopback_port = loopback.local_addr().unwrap().port();
    let local = non_loopback_address().map(|ip| std::net::UdpSocket::bind((ip, 0)).unwrap());
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = tcp.local_addr().unwrap().port();
    let mut env = vec![("TOMADA_ALVO_UDP", loopback_port.to_string())];
    if outside {
        env.push(("TOMADA_ALVO_FORA", "192.0.2.1 9, 2001:db8::1 9".to_owned()));
    }
    if let Some(local) = &local {
        let address = local.local_addr().unwrap();
        env.push((
            "TOMADA_ALVO_LOCAL",
            format!("{} {}", address.ip(), address.port()),
        ));
    }
    // The fixture waits for a reply to its first loopback datagram; the test
    // says when it is over (all the fixture sent is queued before it exits).
    let replier = {
        let socket = loopback.try_clone().unwrap();
        socket
            .set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        std::thread::spawn(move || {
            let mut received = Vec::new();
            let mut buffer = vec![0u8; 65536];
            while let Ok((n, from)) = socket.recv_from(&mut buffer) {
                let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
                if text == "loopback: sendto" {
                    socket.send_to(b"ok", from).unwrap();
                }
                if text == END {
                    break;
                }
                received.push(text);
            }
            received
        })
    };
    let launch = Launch::Shell {
        command: format!("python3 tests/fixtures/hostil/udp.py {mode}"),
        cwd: comum::root(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (stderr, exited_well) = runtime.block_on(async {
        let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (*k, v.clone())).collect();
        let start = Start {
            env: &env,
            udp: udp(loopback_port).unwrap_or_default(),
            ..Start::default()
        };
        let mut program = Program::spawn(&launch, port, start).unwrap();
        let status = tokio::time::timeout(std::time::Duration::from_secs(60), program.wait())
            .await
            .expect("o programa não terminou em 60 s")
            .unwrap();
        program
            .flush_output(std::time::Duration::from_secs(5))
            .await;
        (program.stderr.text(), status.success())
    });
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .send_to(END.as_bytes(), ("127.0.0.1", loopback_port))
        .unwrap();
    let received = replier.join().unwrap();
    tcp.set_nonblocking(true).unwrap();
    let mut text = String::new();
    while let Ok((mut connection, _)) = tcp.accept() {
        connection.set_nonblocking(false).unwrap();
        let _ = connection.read_to_string(&mut text);
    }
    UdpRun {
        stderr,
        loopback: received,
        escaped: local.as_ref().map(drain).unwrap_or_default(),
        tcp: text,
        exited_well,
    }
}

/// Each socket the fixture tries to open as a program of a lab without UDP.
const NO_UDP_ATTEMPTS: [&str; 10] = [
    "abrir um socket UDP",
    "abrir um socket UDP IPv6",
    "abrir um socket UDP não bloqueante",
    "abrir um socket UDP-Lite",
    "abrir um socket de ping",
    "abrir um socket raw",
    "abrir um socket AF_PACKET",
    "abrir um socket SCTP",
    "abrir um socket netlink de auditoria",
    "abrir um par de sockets UNIX de datagramas",
];

/// What a UDP program sends to loopback, and must arrive whole.
const LOOPBACK_DATAGRAMS: [&str; 6] = [
    "loopback: sendto",
    "loopback: sendmsg",
    "loopback: sendmmsg 1",
    "loopback: sendmmsg 2",
    "loopback: connect+send",
    "loopback: v4 mapeado",
];

/// Every loopback datagram arrived once, in any order: datagrams from
/// different sockets, some sent by the grader's supervisor on another CPU, may
/// overtake one another.
fn assert_loopback_datagrams(arrived: &[String]) {
    let mut arrived = arrived.to_vec();
    arrived.sort();
    let mut expected = LOOPBACK_DATAGRAMS.to_vec();
    expected.sort();
    assert_eq!(arrived, expected);
}

fn assert_denied(run: &UdpRun, role: &str, attempt: &str) {
    let line = format!("[{role}] {attempt}: negado ([Errno 13] Permission denied)");
    assert!(
        run.stderr.contains(&line),
        "falta «{line}» em:\n{}",
        run.stderr
    );
}

/// Turns the sandbox back on even if an assertion fails while it is off.
struct SandboxOff;

impl SandboxOff {
    fn new() -> SandboxOff {
        xtask::sandbox::set_enabled(false);
        SandboxOff
    }
}

impl Drop for SandboxOff {
    fn drop(&mut self) {
        xtask::sandbox::set_enabled(true);
    }
}

/// Landlock does not filter UDP: the seccomp filters do. A lab without UDP
/// cannot open a UDP (or raw, packet, SCTP…) socket; a program of the UDP
/// lab sends datagrams to loopback only, checked before any packet is
/// built, even while another thread rewrites the address; loopback still
/// works. The same runs without the sandbox get through (so this can fail).
/// One test: `set_enabled` is global to this process.
#[test]
fn udp_so_no_laboratorio_de_udp_e_so_para_o_loopback() {
    use xtask::sandbox::{Udp, UdpPorts};
    let support = xtask::sandbox::support();
    assert!(
        support.seccomp && support.udp_guard,
        "este teste precisa do filtro seccomp com aviso ao corretor: {}",
        support.describe()
    );

    let tcp_only = run_udp_fixture("sem-udp", true, |_| None);
    for attempt in NO_UDP_ATTEMPTS {
        assert_denied(&tcp_only, "sem-udp", attempt);
    }
    assert!(tcp_only.exited_well, "{}", tcp_only.stderr);
    assert!(
        tcp_only.stderr.contains("[sem-udp] tcp: ok"),
        "{}",
        tcp_only.stderr
    );
    assert_eq!(tcp_only.tcp, "tcp ok\n");
    assert_eq!(tcp_only.loopback, Vec::<String>::new());

    let with_udp = run_udp_fixture("com-udp", true, |_| Some(Udp::loopback()));
    assert!(with_udp.exited_well, "{}", with_udp.stderr);
    for ip in ["192.0.2.1", "2001:db8::1"] {
        for call in ["sendto para", "connect em", "sendmsg para"] {
            assert_denied(&with_udp, "com-udp", &format!("{call} {ip}"));
        }
    }
    assert_denied(&with_udp, "com-udp", "sendto para ::ffff:192.0.2.1");
    assert_denied(&with_udp, "com-udp", "sendmmsg para 192.0.2.1");
    assert!(!with_udp.stderr.contains("CONSEGUI"), "{}", with_udp.stderr);
    assert_loopback_datagrams(&with_udp.loopback);
    for line in [
        "[com-udp] resposta: ok de 127.0.0.1",
        "[com-udp] sendmmsg enviou [20, 20]",
        "[com-udp] loopback: tudo enviado",
    ] {
        assert!(with_udp.stderr.contains(line), "{}", with_udp.stderr);
    }
    let local = non_loopback_address();
    if let Some(ip) = local {
        assert_denied(
            &with_udp,
            "com-udp",
            &format!("sendto para {ip} (desta máquina)"),
        );
        // The race: the address read was checked and used, never re-read.
        assert!(
            with_udp.stderr.contains(" negados") && !with_udp.stderr.contains(", 0 negados"),
            "{}",
            with_udp.stderr
        );
    }
    assert_eq!(with_udp.escaped, Vec::<String>::new());

    // Only the grader's ports: the test's port once allowed, and not before.
    let none = UdpPorts::new();
    let closed = run_udp_fixture("com-udp", false, |_| Some(Udp::loopback_ports(&none)));
    assert!(!closed.exited_well, "{}", closed.stderr);
    assert!(
        closed.stderr.contains("PermissionError: [Errno 13]"),
        "{}",
        closed.stderr
    );
    assert_eq!(closed.loopback, Vec::<String>::new());
    let open = run_udp_fixture("com-udp", false, |port| {
        let ports = UdpPorts::new();
        ports.allow(port);
        Some(Udp::loopback_ports(&ports))
    });
    assert!(open.exited_well, "{}", open.stderr);
    assert_loopback_datagrams(&open.loopback);

    // Without the sandbox the same programs get through.
    let _off = SandboxOff::new();
    let tcp_only = run_udp_fixture("sem-udp", false, |_| None);
    assert!(
        tcp_only
            .stderr
            .contains("[sem-udp] abrir um socket UDP: CONSEGUI"),
        "{}",
        tcp_only.stderr
    );
    assert!(
        tcp_only.loopback.iter().any(|d| d == "vazou por UDP"),
        "{:?}",
        tcp_only.loopback
    );
    if local.is_some() {
        let with_udp = run_udp_fixture("com-udp", false, |_| Some(Udp::loopback()));
        assert!(
            with_udp.escaped.iter().any(|d| d == "local"),
            "{:?}",
            with_udp.escaped
        );
        assert!(
            with_udp.escaped.iter().any(|d| d == "corrida"),
            "a corrida não escapou sem isolamento: {}",
            with_udp.stderr
        );
    }
}

/// A UDP program still starts while the grader holds more than a thousand
/// files (lab 05's thousand clients, maybe in another job of `grade`): the
/// number its listener is handed over through is the grader's own placeholder,
/// never one of those files.
#[test]
fn udp_comeca_com_mil_arquivos_abertos_no_corretor() {
    use xtask::process::{Launch, Program, Start};
    if !xtask::sandbox::support().landlock() {
        eprintln!("pulado: sem Landlock neste núcleo");
        return;
    }
    xtask::limits::raise_open_files();
    let files: Vec<std::fs::File> = (0..1100)
        .map(|_| std::fs::File::open("/dev/null").unwrap())
        .collect();
    let launch = Launch::Shell {
        command: "python3 -c 'print(1)'".to_owned(),
        cwd: comum::root(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        let start = Start {
            udp: xtask::sandbox::Udp::loopback(),
            ..Start::default()
        };
        let mut program = Program::spawn(&launch, 5000, start)
            .expect("o programa de UDP não iniciou com mil arquivos abertos no corretor");
        tokio::time::timeout(std::time::Duration::from_secs(30), program.wait())
            .await
            .expect("não terminou em 30 s")
            .unwrap()
    });
    assert!(status.success(), "{status:?}");
    drop(files);
}
