//! The catalogue: the one place that describes every lab (number, folder, chapters,
//! steps, hints, book sections). The grader, the book checks and the tests all read it.
//!
//! Adding lab N+1 means: its folder under `labs/`, its chapter under `book/src/`, one
//! entry in [`LABS`] and its scenario module under `labs/`. What the program must say on
//! the wire lives only in the lab's golden transcript (`labs/NN-tema/transcricao.snap`).

use std::path::{Path, PathBuf};

use crate::labs;
use crate::session::Scenario;

/// Which side of the conversation a step grades.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The learner's server; the grader plays the clients.
    Server,
    /// The learner's client; the grader plays the server.
    Client,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Server => "servidor",
            Role::Client => "cliente",
        }
    }
}

/// One graded step. Its expected transcript is the section `## <id>` of the lab's
/// snapshot; everything else a learner reads about it is here.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// Stable identifier, also the section name in the snapshot.
    pub id: &'static str,
    pub role: Role,
    /// What the step checks, in one line (pt-BR).
    pub title: &'static str,
    /// The likely cause when it fails, in plain words (pt-BR).
    pub hint: &'static str,
    /// The section to reread: `chapter.md#anchor`, relative to `book/src/`.
    pub book: &'static str,
    /// A bonus step is reported but does not decide the exit status.
    pub required: bool,
}

/// One lab: a folder `labs/<dir>/` with a starter crate `inicio/` and a solution
/// crate `solucao/`, each with the binaries `servidor` and `cliente`.
pub struct Lab {
    /// Two digits, as typed in `cargo xtask check 01`.
    pub number: &'static str,
    /// Folder name under `labs/`, `NN-tema`.
    pub dir: &'static str,
    pub title: &'static str,
    /// The chapters that teach it, relative to `book/src/`.
    pub chapters: &'static [&'static str],
    pub steps: &'static [Step],
    /// Whether the server serves clients until stopped (from lab 02 on); lab
    /// 01's serves one and exits, so its exit is not a failure in itself.
    pub server_runs_forever: bool,
    /// The code that drives the server steps, in order.
    pub server: Scenario,
    /// The code that drives the client steps, in order.
    pub client: Scenario,
}

impl std::fmt::Debug for Lab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lab")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Which of the lab's two crates is graded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Starter,
    Solution,
}

impl Variant {
    pub fn folder(self) -> &'static str {
        match self {
            Variant::Starter => "inicio",
            Variant::Solution => "solucao",
        }
    }
}

impl Lab {
    /// The theme part of the folder name: `basico` for `01-basico`.
    pub fn theme(&self) -> &'static str {
        self.dir.split_once('-').map_or(self.dir, |(_, tema)| tema)
    }

    /// Cargo package name of a variant: `basico-inicio`, `basico-solucao`.
    pub fn package(&self, variant: Variant) -> String {
        format!("{}-{}", self.theme(), variant.folder())
    }

    /// `labs/01-basico/inicio`, relative to the workbook root.
    pub fn crate_dir(&self, variant: Variant) -> PathBuf {
        Path::new("labs").join(self.dir).join(variant.folder())
    }

    /// The golden transcript, relative to the workbook root.
    pub fn snapshot_path(&self) -> PathBuf {
        Path::new("labs").join(self.dir).join(SNAPSHOT_FILE)
    }

    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == id)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.steps.iter().any(|s| s.role == role)
    }
}

/// Name of the golden transcript inside each lab folder. The insta test in
/// `tests/transcricoes.rs` writes it; the grader reads it at run time.
pub const SNAPSHOT_FILE: &str = "transcricao.snap";

/// Every lab, in the book's order.
pub static LABS: &[Lab] = &[BASICO, ECHO, CHAT, ROBUSTO, CHAT_ASYNC];

const BASICO: Lab = Lab {
    number: "01",
    dir: "01-basico",
    title: "Servidor básico e cliente básico",
    chapters: &[
        "01-basico/servidor-basico.md",
        "01-basico/cliente-basico.md",
    ],
    server: labs::basico::server,
    client: labs::basico::client,
    server_runs_forever: false,
    steps: &[
        Step {
            id: "conecta",
            role: Role::Server,
            title: "o servidor aceita uma conexão em 127.0.0.1 na PORTA",
            hint: "O servidor cria o TcpListener com `TcpListener::bind(endereco)`, usando o \
                   endereço de `endereco()` (que já lê a PORTA), e em seguida espera um \
                   cliente com `accept()`.",
            book: "01-basico/servidor-basico.md#bind",
            required: true,
        },
        Step {
            id: "boas-vindas",
            role: Role::Server,
            title: "o servidor envia exatamente \"Bem-vindo ao servidor!\"",
            hint: "Envie exatamente os bytes de `Bem-vindo ao servidor!`: sem `\\n` no fim e \
                   sem espaços a mais. Use `write_all`: um `write` simples pode enviar só \
                   uma parte.",
            book: "01-basico/servidor-basico.md#enviar",
            required: true,
        },
        Step {
            id: "fecha",
            role: Role::Server,
            title: "o servidor fecha a conexão depois de enviar",
            hint: "Depois de enviar, feche a conexão: em Rust o socket fecha quando sai de \
                   escopo, ou com `drop(conexao)`. Enquanto ela estiver aberta, o cliente não \
                   sabe que a mensagem acabou.",
            book: "01-basico/servidor-basico.md#fechar",
            required: true,
        },
        Step {
            id: "encerra",
            role: Role::Server,
            title: "o servidor termina com código 0",
            hint: "O servidor do laboratório 01 atende um único cliente e termina, devolvendo \
                   `Ok(())` de `servir()`. Um `accept()` dentro de um laço o faria esperar \
                   para sempre.",
            book: "01-basico/servidor-basico.md#terminar",
            required: true,
        },
        Step {
            id: "cliente-conecta",
            role: Role::Client,
            title: "o cliente conecta ao servidor (o corretor faz o papel dele)",
            hint: "O cliente conecta com `TcpStream::connect(endereco)`, usando o endereço \
                   de `endereco()`, que já lê a PORTA.",
            book: "01-basico/cliente-basico.md#connect",
            required: true,
        },
        Step {
            id: "cliente-imprime",
            role: Role::Client,
            title: "o cliente lê até o fim, imprime a mensagem e termina com código 0",
            hint: "Leia tudo até o servidor fechar a conexão, com `read_to_end`, e só então \
                   imprima a mensagem, por exemplo `Mensagem recebida: ...`.",
            book: "01-basico/cliente-basico.md#ler-ate-o-fim",
            required: true,
        },
        Step {
            id: "cliente-aleatorio",
            role: Role::Client,
            title: "o cliente imprime uma mensagem sorteada nesta execução",
            hint: "Desta vez o servidor enviou um texto sorteado: o cliente deve imprimir o \
                   que recebeu, não um texto fixo.",
            book: "01-basico/cliente-basico.md#imprimir",
            required: true,
        },
    ],
};

const ECHO: Lab = Lab {
    number: "02",
    dir: "02-echo",
    title: "Servidor echo e cliente echo",
    chapters: &["02-echo/servidor-echo.md", "02-echo/cliente-echo.md"],
    server: labs::echo::server,
    client: labs::echo::client,
    server_runs_forever: true,
    steps: &[
        Step {
            id: "uma-linha",
            role: Role::Server,
            title: "uma linha é respondida com \"Echo: <linha>\"",
            hint: "Para cada linha recebida (terminada em `\\n`), responda `Echo: ` + a \
                   linha + `\\n`, numa única chamada a `write_all`.",
            book: "02-echo/servidor-echo.md#protocolo",
            required: true,
        },
        Step {
            id: "varias-linhas",
            role: Role::Server,
            title: "várias linhas na mesma conexão, respondidas em ordem",
            hint: "Depois de responder uma linha, continue lendo a mesma conexão: um laço \
                   sobre `leitor.lines()` atende todas, na ordem em que chegam.",
            book: "02-echo/servidor-echo.md#linhas",
            required: true,
        },
        Step {
            id: "segundo-cliente",
            role: Role::Server,
            title: "um segundo cliente é atendido depois que o primeiro sai",
            hint: "Quando um cliente fecha a conexão, `lines()` termina: volte ao `accept` \
                   (o laço `for conexao in servidor.incoming()`) em vez de encerrar o \
                   programa.",
            book: "02-echo/servidor-echo.md#varios-clientes",
            required: true,
        },
        Step {
            id: "linha-longa",
            role: Role::Server,
            title: "uma linha de mais de 64 KiB volta inteira, numa resposta só",
            hint: "Uma leitura traz no máximo o tamanho do buffer: a linha longa chega em \
                   muitos pedaços. Junte os bytes até o `\\n` (`BufRead::lines` ou \
                   `read_line`) antes de responder.",
            book: "02-echo/servidor-echo.md#linha-longa",
            required: true,
        },
        Step {
            id: "um-byte-por-vez",
            role: Role::Server,
            title: "uma linha enviada um byte por vez, com um caractere UTF-8 cortado",
            hint: "Os bytes podem chegar um a um, e um caractere como `ç` (2 bytes) pode vir \
                   partido entre duas leituras. Só converta para texto a linha inteira, \
                   depois do `\\n`.",
            book: "02-echo/servidor-echo.md#um-byte-por-vez",
            required: true,
        },
        Step {
            id: "utf8-invalido",
            role: Role::Server,
            title: "bytes que não são UTF-8 não derrubam o servidor",
            hint: "Um cliente que envia bytes inválidos gera um erro na leitura daquela \
                   conexão. Trate o erro de `atender` (mostre e siga em frente) em vez de \
                   deixá-lo encerrar o `main`.",
            book: "02-echo/servidor-echo.md#utf8",
            required: true,
        },
        Step {
            id: "desconexao-abrupta",
            role: Role::Server,
            title: "clientes que somem no meio (reset, broken pipe) não derrubam o servidor",
            hint: "Ler de uma conexão derrubada dá `ConnectionReset`; escrever nela dá \
                   `BrokenPipe`. São erros daquele cliente: encerre só a conversa com ele e \
                   volte ao `accept`.",
            book: "02-echo/servidor-echo.md#desconexoes",
            required: true,
        },
        Step {
            id: "simultaneos",
            role: Role::Server,
            title: "dois clientes conectados ao mesmo tempo",
            hint: "Enquanto o servidor conversa com um cliente, o outro espera na fila do \
                   `accept`. Atenda cada conexão numa thread (`std::thread::spawn`) e o laço \
                   volta logo a aceitar.",
            book: "02-echo/servidor-echo.md#simultaneos",
            required: false,
        },
        Step {
            id: "cliente-envia",
            role: Role::Client,
            title: "o cliente envia a linha digitada e imprime \"Resposta: Echo: ...\"",
            hint: "Leia uma linha do teclado, envie-a terminada em `\\n`, leia a resposta até \
                   o `\\n` (`read_line`) e imprima `Resposta: ` + a resposta.",
            book: "02-echo/cliente-echo.md#laco",
            required: true,
        },
        Step {
            id: "cliente-varias",
            role: Role::Client,
            title: "o cliente continua: várias linhas, várias respostas",
            hint: "O envio e a leitura da resposta ficam dentro de um laço, que só termina \
                   com `sair` ou com o fim da entrada.",
            book: "02-echo/cliente-echo.md#laco",
            required: true,
        },
        Step {
            id: "cliente-sair",
            role: Role::Client,
            title: "\"sair\" fecha a conexão, imprime \"Conexão encerrada\" e termina",
            hint: "Ao ler `sair`, saia do laço sem enviar a palavra, feche a conexão e \
                   imprima `Conexão encerrada`.",
            book: "02-echo/cliente-echo.md#sair",
            required: true,
        },
        Step {
            id: "cliente-fim-da-entrada",
            role: Role::Client,
            title: "o fim da entrada (Ctrl-D) também encerra",
            hint: "`read_line` devolve 0 bytes quando a entrada acaba (Ctrl-D no terminal, ou \
                   o fim de um arquivo): trate isso como `sair`.",
            book: "02-echo/cliente-echo.md#sair",
            required: true,
        },
    ],
};

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

const CHAT: Lab = Lab {
    number: "03",
    dir: "03-chat",
    title: "Servidor de chat com threads e cliente de chat",
    chapters: &["03-chat/servidor-chat.md", "03-chat/cliente-chat.md"],
    server: labs::chat::server,
    client: labs::chat::client,
    server_runs_forever: true,
    steps: &join::<16>(&[&CHAT_ROOM_STEPS, &CHAT_CLIENT_STEPS]),
};

/// The chat's server steps, shared by lab 03 (threads) and lab 05 (tokio): the
/// protocol is the same, so the hints point to where lab 03 teaches it.
const CHAT_ROOM_STEPS: [Step; 11] = [
    Step {
        id: "entrar",
        role: Role::Server,
        title: "o servidor pede APELIDO e responde \"Conectado ao servidor!\"",
        hint: "Ao aceitar, envie `APELIDO\\n`, leia a resposta e, se o apelido servir, \
                   envie `Conectado ao servidor!\\n` a quem chegou.",
        book: "03-chat/servidor-chat.md#apelido",
        required: true,
    },
    Step {
        id: "entrada-anunciada",
        role: Role::Server,
        title: "quem já está na sala recebe \"<apelido> entrou no chat!\"",
        hint: "Os clientes conectados ficam numa sala compartilhada \
                   (`Arc<Mutex<Sala>>`); ao entrar alguém, difunda `<apelido> entrou no \
                   chat!\\n` para todos os outros.",
        book: "03-chat/servidor-chat.md#estado-compartilhado",
        required: true,
    },
    Step {
        id: "mensagem",
        role: Role::Server,
        title: "uma linha chega aos outros como \"<apelido>: <texto>\", não ao remetente",
        hint: "Cada linha recebida vira `<apelido>: <texto>\\n` na fila de todos os \
                   outros membros; quem enviou não recebe a própria linha de volta.",
        book: "03-chat/servidor-chat.md#difusao",
        required: true,
    },
    Step {
        id: "nome-pelo-servidor",
        role: Role::Server,
        title: "o nome é posto pelo servidor: ninguém fala em nome de outro",
        hint: "Não confie no texto do cliente para saber quem fala: use o apelido que o \
                   servidor guardou para aquela conexão (bia enviando `ana: oi` aparece \
                   como `bia: ana: oi`).",
        book: "03-chat/servidor-chat.md#difusao",
        required: true,
    },
    Step {
        id: "saida-limpa",
        role: Role::Server,
        title: "quem fecha a conexão gera \"<apelido> saiu do chat!\" para os outros",
        hint: "Quando a leitura chega ao fim (EOF), tire o cliente da sala e difunda \
                   `<apelido> saiu do chat!\\n`.",
        book: "03-chat/servidor-chat.md#saida",
        required: true,
    },
    Step {
        id: "saida-abrupta",
        role: Role::Server,
        title: "quem cai sem se despedir (reset) também gera o aviso de saída",
        hint: "Uma conexão derrubada faz a leitura devolver um erro, não EOF. Trate os \
                   dois do mesmo jeito: a saída acontece depois do laço, seja qual for o \
                   motivo.",
        book: "03-chat/servidor-chat.md#saida",
        required: true,
    },
    Step {
        id: "apelido-em-uso",
        role: Role::Server,
        title: "um apelido em uso recebe \"ERRO: <motivo>\" e a pergunta de novo",
        hint: "Confira se o apelido está em uso com o cadeado da sala na mão, no mesmo \
                   momento em que o insere; se estiver, envie `ERRO: <motivo>\\n` e \
                   pergunte `APELIDO\\n` de novo.",
        book: "03-chat/servidor-chat.md#apelido",
        required: true,
    },
    Step {
        id: "apelido-invalido",
        role: Role::Server,
        title: "apelido vazio, com espaço ou com mais de 32 caracteres é recusado",
        hint: "O apelido tem de 1 a 32 caracteres, sem espaços. Recuse os outros com \
                   `ERRO: <motivo>\\n` e pergunte de novo.",
        book: "03-chat/servidor-chat.md#apelido",
        required: true,
    },
    Step {
        id: "vinte-clientes",
        role: Role::Server,
        title: "20 clientes: cada linha chega a cada outro uma vez, em ordem",
        hint: "Cada cliente precisa da sua thread, e cada linha deve entrar na fila de \
                   todos os outros exatamente uma vez, na ordem em que foi lida.",
        book: "03-chat/servidor-chat.md#threads",
        required: true,
    },
    Step {
        id: "cliente-lento",
        role: Role::Server,
        title: "um cliente que nunca lê não impede os outros de receber",
        hint: "Em `difundir`, use `try_send`, nunca `send`: numa fila cheia, `send` \
                   espera com o cadeado na mão. Quem der `Err` ficou para trás: \
                   desconecte-o. E nunca escreva no socket de um cliente com o cadeado na \
                   mão: para isso existem a fila e a thread escritora.",
        book: "03-chat/servidor-chat.md#cliente-lento",
        required: true,
    },
    Step {
        id: "linha-grande-demais",
        role: Role::Server,
        title: "uma linha de mais de 64 KiB fecha a conexão de quem a enviou",
        hint: "Leia cada linha com limite (`take(64 KiB + 1)` antes de `read_until`); \
                   se passar, encerre a conexão daquele cliente, que sai da sala.",
        book: "03-chat/servidor-chat.md#limite-de-linha",
        required: true,
    },
];

/// Lab 03's client steps (two threads).
const CHAT_CLIENT_STEPS: [Step; 5] = [
    Step {
        id: "cliente-apelido",
        role: Role::Client,
        title: "o cliente pede o apelido, responde APELIDO e mostra a confirmação",
        hint: "Leia o apelido do teclado antes de conectar; quando o servidor enviar \
                   `APELIDO`, responda com ele; imprima `Conectado ao servidor!`.",
        book: "03-chat/cliente-chat.md#apelido",
        required: true,
    },
    Step {
        id: "cliente-recebe",
        role: Role::Client,
        title: "o que chega é impresso na hora, mesmo sem nada digitado",
        hint: "Uma thread fica só recebendo e imprimindo, enquanto a principal espera o \
                   teclado. Com uma thread só, nada aparece até a pessoa digitar.",
        book: "03-chat/cliente-chat.md#duas-threads",
        required: true,
    },
    Step {
        id: "cliente-envia",
        role: Role::Client,
        title: "o que se digita é enviado como está (o servidor põe o nome)",
        hint: "Envie a linha digitada com `\\n` e sem o apelido na frente: quem escreve \
                   o nome é o servidor.",
        book: "03-chat/cliente-chat.md#enviar",
        required: true,
    },
    Step {
        id: "cliente-sair",
        role: Role::Client,
        title: "o fim da entrada fecha a conexão e imprime \"Conexão encerrada\"",
        hint: "Quando a leitura do teclado devolver 0 bytes (Ctrl-D), feche a conexão \
                   (`shutdown`), imprima `Conexão encerrada` e termine.",
        book: "03-chat/cliente-chat.md#sair",
        required: true,
    },
    Step {
        id: "cliente-apelido-em-uso",
        role: Role::Client,
        title: "diante de \"ERRO: ...\", o cliente mostra o erro e pede outro apelido",
        hint: "Se o servidor responder `ERRO: ...`, imprima a linha, leia outro apelido \
                   do teclado e envie-o quando vier `APELIDO` de novo.",
        book: "03-chat/cliente-chat.md#apelido",
        required: true,
    },
];

/// Concatenates step lists at compile time (labs that share steps). `N` must be
/// the total length, or the build fails.
const fn join<const N: usize>(parts: &[&[Step]]) -> [Step; N] {
    let mut out = [PLACEHOLDER; N];
    let mut filled = 0;
    let mut p = 0;
    while p < parts.len() {
        let mut i = 0;
        while i < parts[p].len() {
            out[filled] = parts[p][i];
            filled += 1;
            i += 1;
        }
        p += 1;
    }
    assert!(filled == N, "join: N não é a soma dos tamanhos");
    out
}

const PLACEHOLDER: Step = Step {
    id: "",
    role: Role::Server,
    title: "",
    hint: "",
    book: "",
    required: false,
};

const ROBUSTO: Lab = Lab {
    number: "04",
    dir: "04-robusto",
    title: "Servidor robusto: dicas, boas práticas e solução de problemas",
    chapters: &["04-robusto/dicas.md", "04-robusto/problemas.md"],
    server: labs::robusto::server,
    client: labs::robusto::client,
    server_runs_forever: true,
    steps: &[
        Step {
            id: "eco",
            role: Role::Server,
            title: "o protocolo do laboratório 02 continua: cada linha volta como \"Echo: ...\"",
            hint: "O ponto de partida já é o servidor echo: responda cada linha com \
                   `Echo: <linha>\\n`, numa só escrita.",
            book: "04-robusto/dicas.md#protocolo",
            required: true,
        },
        Step {
            id: "muitos-clientes",
            role: Role::Server,
            title: "50 clientes conectados ao mesmo tempo são todos atendidos",
            hint: "Atenda cada conexão numa thread própria e volte logo ao `accept`; uma fila \
                   de espera (backlog) generosa no `listen` evita recusas numa rajada.",
            book: "04-robusto/dicas.md#muitos-clientes",
            required: true,
        },
        Step {
            id: "um-byte-por-vez",
            role: Role::Server,
            title: "uma linha que chega um byte por vez recebe uma resposta só",
            hint: "Junte os bytes até o `\\n` (`read_until`) antes de responder: uma leitura \
                   não é uma mensagem.",
            book: "04-robusto/problemas.md#dados-incompletos",
            required: true,
        },
        Step {
            id: "meia-conexao",
            role: Role::Server,
            title: "o cliente fecha só a escrita: o servidor responde tudo e fecha",
            hint: "EOF na leitura quer dizer \"não vou enviar mais\", não \"sumi\": responda o \
                   que chegou, inclusive um último pedaço sem `\\n`, e só então feche.",
            book: "04-robusto/dicas.md#meia-conexao",
            required: true,
        },
        Step {
            id: "desconexoes",
            role: Role::Server,
            title: "clientes que somem (reset, broken pipe) não derrubam o servidor",
            hint: "Um erro de leitura ou de escrita encerra só a conversa com aquele cliente: \
                   trate o `Err` (nada de `unwrap`) e volte a atender os outros.",
            book: "04-robusto/problemas.md#broken-pipe",
            required: true,
        },
        Step {
            id: "reinicio-mesma-porta",
            role: Role::Server,
            title: "derrubado com clientes conectados, volta na mesma porta na hora (SO_REUSEADDR)",
            hint: "As conexões antigas ficam em TIME_WAIT por cerca de um minuto; sem \
                   SO_REUSEADDR, o `bind` falha com \"Address already in use\". Crie o \
                   socket com socket2 e chame `set_reuse_address(true)` antes do `bind`.",
            book: "04-robusto/dicas.md#reuseaddr",
            required: true,
        },
        Step {
            id: "tempo-limite",
            role: Role::Server,
            title: "quem fica calado além de TEMPO_LIMITE_MS recebe \"Tempo esgotado\" e sai",
            hint: "Leia o limite de `TEMPO_LIMITE_MS` (padrão 30000), aplique-o com \
                   `set_read_timeout` e, quando a leitura desistir (WouldBlock ou TimedOut), \
                   envie `Tempo esgotado\\n` e feche só aquela conexão.",
            book: "04-robusto/dicas.md#tempo-limite",
            required: true,
        },
        Step {
            id: "encerra-no-sigterm",
            role: Role::Server,
            title: "com SIGTERM, avisa \"Servidor encerrando\" a cada cliente e sai com 0 em 2 s",
            hint: "Capture SIGTERM e SIGINT com signal-hook; ao chegar um deles, pare de \
                   aceitar, envie `Servidor encerrando\\n` a cada cliente conectado, feche \
                   as conexões e termine com código 0.",
            book: "04-robusto/dicas.md#encerramento",
            required: true,
        },
        Step {
            id: "encerra-no-ctrl-c",
            role: Role::Server,
            title: "com Ctrl-C (SIGINT), o mesmo encerramento educado",
            hint: "Ctrl-C no terminal envia SIGINT: registre-o junto com SIGTERM e trate os \
                   dois do mesmo jeito.",
            book: "04-robusto/dicas.md#encerramento",
            required: true,
        },
        Step {
            id: "cliente-eco",
            role: Role::Client,
            title: "o cliente echo continua: envia o que se digita e imprime a resposta",
            hint: "O ponto de partida já é o cliente echo: envie cada linha, imprima \
                   `Resposta: ...` e termine com `sair` imprimindo `Conexão encerrada`.",
            book: "04-robusto/dicas.md#erros-do-cliente",
            required: true,
        },
        Step {
            id: "cliente-recusado",
            role: Role::Client,
            title: "sem servidor: \"Erro: ...\" na saída de erro e código de saída 2",
            hint: "Trate o `Err` de `TcpStream::connect` com `ErrorKind::ConnectionRefused`: \
                   uma linha `Erro: ...` em pt-BR no stderr e `ExitCode::from(2)`, sem pânico.",
            book: "04-robusto/problemas.md#connection-refused",
            required: true,
        },
        Step {
            id: "cliente-tempo-esgotado",
            role: Role::Client,
            title: "servidor mudo: desiste após TEMPO_LIMITE_MS com \"Erro: ...\" e código 3",
            hint: "Use `set_read_timeout` com o limite de `TEMPO_LIMITE_MS`; quando a leitura \
                   desistir (WouldBlock ou TimedOut), escreva `Erro: ...` e saia com 3.",
            book: "04-robusto/problemas.md#tempo-esgotado",
            required: true,
        },
        Step {
            id: "cliente-servidor-caiu",
            role: Role::Client,
            title: "o servidor fecha no meio: \"Erro: ...\" e código 4",
            hint: "Uma leitura que devolve 0 bytes antes da resposta (EOF), ou um erro de \
                   conexão reiniciada/broken pipe, quer dizer conexão perdida: `Erro: ...` \
                   e código 4.",
            book: "04-robusto/dicas.md#erros-do-cliente",
            required: true,
        },
    ],
};

const CHAT_ASYNC: Lab = Lab {
    number: "05",
    dir: "05-chat-async",
    title: "Chat assíncrono com tokio; threads vs async",
    chapters: &[
        "05-chat-async/servidor-async.md",
        "05-chat-async/threads-vs-async.md",
    ],
    server: labs::chat::async_server,
    client: labs::chat::client,
    server_runs_forever: true,
    steps: &join::<17>(&[
        &CHAT_ASYNC_ROOM_STEPS,
        &[MIL_CLIENTES],
        &CHAT_ASYNC_CLIENT_STEPS,
    ]),
};

/// Lab 05's server steps: lab 03's checks and hints, each pointing to where the
/// async chapter covers it (which links back to lab 03 for protocol details). The
/// load steps say "task", not "thread".
const CHAT_ASYNC_ROOM_STEPS: [Step; 11] = {
    const fn at(step: Step, book: &'static str) -> Step {
        Step { book, ..step }
    }
    let r = CHAT_ROOM_STEPS;
    [
        at(r[0], "05-chat-async/servidor-async.md#protocolo"),
        at(r[1], "05-chat-async/servidor-async.md#sala"),
        at(r[2], "05-chat-async/servidor-async.md#difusao-limitada"),
        at(r[3], "05-chat-async/servidor-async.md#difusao-limitada"),
        at(r[4], "05-chat-async/servidor-async.md#sala"),
        at(r[5], "05-chat-async/servidor-async.md#sala"),
        at(r[6], "05-chat-async/servidor-async.md#protocolo"),
        at(r[7], "05-chat-async/servidor-async.md#protocolo"),
        VINTE_CLIENTES_ASYNC,
        CLIENTE_LENTO_ASYNC,
        at(r[10], "05-chat-async/servidor-async.md#protocolo"),
    ]
};

const VINTE_CLIENTES_ASYNC: Step = Step {
    id: "vinte-clientes",
    role: Role::Server,
    title: "20 clientes: cada linha chega a cada outro uma vez, em ordem",
    hint: "Cada conexão ganha a sua tarefa (`tokio::spawn`), e cada linha entra na fila de \
           todos os outros exatamente uma vez, na ordem em que foi lida.",
    book: "05-chat-async/servidor-async.md#tarefas",
    required: true,
};

const CLIENTE_LENTO_ASYNC: Step = Step {
    id: "cliente-lento",
    role: Role::Server,
    title: "um cliente que nunca lê não impede os outros de receber",
    hint: "Não faça `.await` numa escrita com a sala trancada: cada cliente tem uma fila \
           limitada e uma tarefa escritora; a difusão usa `try_send` e desconecta quem \
           ficar para trás.",
    book: "05-chat-async/servidor-async.md#difusao-limitada",
    required: true,
};

/// Lab 05's own load step: what threads could not do within the grader's limits.
const MIL_CLIENTES: Step = Step {
    id: "mil-clientes",
    role: Role::Server,
    title: "1.000 clientes ao mesmo tempo: cada linha chega a cada outro, em ordem",
    hint: "Uma tarefa (`tokio::spawn`) por conexão, não uma thread: o corretor limita o \
           servidor a 128 threads. Cada cliente tem uma fila limitada (`mpsc::channel`) e \
           uma tarefa escritora; a difusão usa `try_send`.",
    book: "05-chat-async/servidor-async.md#mil-clientes",
    required: true,
};

/// Lab 05's client steps: the same checks as lab 03's, taught with `select!`
/// (the hints that speak of threads are rewritten; the others are lab 03's).
const CHAT_ASYNC_CLIENT_STEPS: [Step; 5] = [
    Step {
        book: "05-chat-async/servidor-async.md#cliente",
        ..CHAT_CLIENT_STEPS[0]
    },
    Step {
        id: "cliente-recebe",
        role: Role::Client,
        title: "o que chega é impresso na hora, mesmo sem nada digitado",
        hint: "Um só laço com `tokio::select!` espera ao mesmo tempo pela próxima linha do \
               teclado e pela próxima do servidor, e trata a que vier primeiro.",
        book: "05-chat-async/servidor-async.md#cliente",
        required: true,
    },
    Step {
        book: "05-chat-async/servidor-async.md#cliente",
        ..CHAT_CLIENT_STEPS[2]
    },
    Step {
        id: "cliente-sair",
        role: Role::Client,
        title: "o fim da entrada fecha a conexão e imprime \"Conexão encerrada\"",
        hint: "Quando o teclado chegar ao fim (`next_line` devolve `None`), feche o lado de \
               escrita (`shutdown().await`), imprima `Conexão encerrada` e termine.",
        book: "05-chat-async/servidor-async.md#cliente",
        required: true,
    },
    Step {
        book: "05-chat-async/servidor-async.md#cliente",
        ..CHAT_CLIENT_STEPS[4]
    },
];
