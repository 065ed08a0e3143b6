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
#[derive(Debug)]
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
pub static LABS: &[Lab] = &[BASICO, ECHO, CHAT];

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
    steps: &[
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
            hint: "Não escreva no socket de um cliente com o cadeado na mão: dê a cada um uma \
                   fila limitada e uma thread escritora, difunda com `try_send` e \
                   desconecte quem ficar para trás.",
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
    ],
};
