//! Lab 07: a file server and its client. Each request is one JSON line, then
//! raw bytes whose length the line announced; the server keeps the files in the
//! folder of `PASTA` (lent by the grader, see `Session::lend_folder`).
//!
//! The server steps are the traps of framing by length: a header that trickles
//! in, a 256 MiB file that must stream (the server's memory is sampled), an
//! upload cut in the middle, a client that announces more than it sends, names
//! that climb out of the folder, broken JSON and uploads at the same time. The
//! client steps have the grader play the server, down to one that closes in the
//! middle of a download.

use std::future::Future;
use std::pin::Pin;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::lab::{Lab, Role, Step};
use crate::session::{Conn, Content, Flow, Session, json_line};

/// The environment variable with the folder the server keeps its files in.
const PASTA: &str = "PASTA";

/// The big upload of `grande`: far more than the memory limit below.
const GRANDE: u64 = 256 * 1024 * 1024;
/// What the server's memory (RSS) may reach while moving `GRANDE` bytes.
const MEMORIA_MIB: u64 = 32;

/// Lab entry for the catalogue ([`crate::catalog::LABS`]).
pub const LAB: Lab = Lab {
    number: "07",
    dir: "07-arquivos",
    title: "Transferência de arquivos",
    chapters: &["07-arquivos/transferencia.md"],
    server,
    client,
    server_runs_forever: true,
    steps: &[
        Step {
            id: "enviar",
            role: Role::Server,
            title: "um arquivo enviado é guardado na PASTA e confirmado com o tamanho",
            hint: "Leia a linha de JSON, depois exatamente `tamanho` bytes (`take(tamanho)` \
                   e `io::copy`), guarde-os em PASTA com o nome pedido e responda \
                   `{\"ok\":true,\"tamanho\":<n>}` numa linha.",
            book: "07-arquivos/transferencia.md#enviar",
            required: true,
        },
        Step {
            id: "baixar",
            role: Role::Server,
            title: "um arquivo guardado volta idêntico; um que não existe é recusado",
            hint: "Responda `{\"ok\":true,\"tamanho\":<n>}` e, logo atrás, os n bytes do \
                   arquivo, nem um a mais; para um nome que não existe, \
                   `{\"ok\":false,\"erro\":\"...\"}`, e a conexão continua.",
            book: "07-arquivos/transferencia.md#baixar",
            required: true,
        },
        Step {
            id: "listar",
            role: Role::Server,
            title: "listar mostra os arquivos com os tamanhos, em ordem de nome",
            hint: "Percorra a pasta com `fs::read_dir`, pule os temporários, ordene por nome \
                   (`sort_by`) e responda `{\"ok\":true,\"arquivos\":[{\"nome\":..,\"tamanho\":..}]}`.",
            book: "07-arquivos/transferencia.md#listar",
            required: true,
        },
        Step {
            id: "cabecalho-picado",
            role: Role::Server,
            title: "cabeçalho e dados chegando um byte por escrita",
            hint: "Um `read` pode trazer um byte só. Leia o cabeçalho até o `\\n` com \
                   `read_until` num `BufReader`, e os dados com `take(tamanho)` no MESMO \
                   leitor: o que ele já guardou no buffer é o começo do arquivo.",
            book: "07-arquivos/transferencia.md#enquadramento",
            required: true,
        },
        Step {
            id: "grande",
            role: Role::Server,
            title: "256 MiB enviados e baixados com a memória do servidor abaixo de 32 MiB",
            hint: "Nunca tenha o arquivo inteiro na memória (`read_to_end`, `fs::read`, um \
                   `Vec` de `tamanho` bytes): copie aos pedaços, com um buffer fixo, de um \
                   lado para o outro (`io::copy`).",
            book: "07-arquivos/transferencia.md#memoria",
            required: true,
        },
        Step {
            id: "corte",
            role: Role::Server,
            title: "um envio cortado no meio não deixa arquivo nem temporário, e o servidor segue",
            hint: "Escreva num nome temporário e só renomeie (`fs::rename`) no fim; se a \
                   conexão cair no meio, apague o temporário (um `Drop` faz isso sozinho) e \
                   encerre só aquela conversa.",
            book: "07-arquivos/transferencia.md#renomear",
            required: true,
        },
        Step {
            id: "tamanho-mente",
            role: Role::Server,
            title: "menos bytes que o anunciado, depois meia conexão: recusado, nada guardado",
            hint: "`io::copy` de um `take(tamanho)` devolve quantos bytes copiou: menos que \
                   `tamanho` quer dizer que a conexão acabou antes. Não guarde nada e responda \
                   `ok:false`.",
            book: "07-arquivos/transferencia.md#take",
            required: true,
        },
        Step {
            id: "caminho",
            role: Role::Server,
            title: "nomes que saem da PASTA (.., /, \\, vazio, NUL) são recusados",
            hint: "O nome vem da rede: antes do `join`, recuse nomes vazios, com `/`, `\\`, \
                   `..` ou um byte nulo, com `{\"ok\":false,...}`, e leia (descartando) os bytes \
                   que vêm atrás, para a conexão continuar.",
            book: "07-arquivos/transferencia.md#caminhos",
            required: true,
        },
        Step {
            id: "json-ruim",
            role: Role::Server,
            title: "JSON quebrado ou sem um campo recebe ok:false, e a conexão continua",
            hint: "Trate o `Err` de `serde_json::from_slice` como uma resposta \
                   `{\"ok\":false,\"erro\":...}`, não como o fim da conversa, e volte a ler \
                   o próximo cabeçalho.",
            book: "07-arquivos/transferencia.md#json",
            required: true,
        },
        Step {
            id: "simultaneos",
            role: Role::Server,
            title: "5 envios ao mesmo tempo, intercalados; do mesmo nome, vale o último inteiro",
            hint: "Atenda cada conexão numa thread. Cada envio escreve no seu próprio \
                   temporário, e o `rename` no fim troca o arquivo de uma vez: nunca uma \
                   mistura de dois envios.",
            book: "07-arquivos/transferencia.md#simultaneos",
            required: true,
        },
        Step {
            id: "cliente-enviar",
            role: Role::Client,
            title: "cliente enviar <arquivo> manda o cabeçalho e os bytes e mostra a confirmação",
            hint: "Envie `{\"op\":\"enviar\",\"nome\":<só o nome>,\"tamanho\":<n>}` e os n \
                   bytes, leia a resposta e imprima `Enviado: <nome> (<n> bytes)`.",
            book: "07-arquivos/transferencia.md#cliente",
            required: true,
        },
        Step {
            id: "cliente-baixar",
            role: Role::Client,
            title: "cliente baixar <nome> <destino> grava exatamente os bytes anunciados",
            hint: "Depois da resposta, leia exatamente `tamanho` bytes do MESMO `BufReader` \
                   (não até o fim da conexão, que o servidor mantém aberta), grave em \
                   destino e imprima `Baixado: <nome> (<n> bytes)`.",
            book: "07-arquivos/transferencia.md#cliente",
            required: true,
        },
        Step {
            id: "cliente-listar",
            role: Role::Client,
            title: "cliente listar mostra uma linha por arquivo",
            hint: "Envie `{\"op\":\"listar\"}` e, para cada arquivo da resposta, imprima \
                   `<nome> (<tamanho> bytes)`.",
            book: "07-arquivos/transferencia.md#cliente",
            required: true,
        },
        Step {
            id: "cliente-recusado",
            role: Role::Client,
            title: "uma recusa do servidor vira \"Erro: ...\" e o código de saída 3",
            hint: "Com `ok:false`, escreva `Erro: ` e o motivo na saída de erro e termine com \
                   `ExitCode::from(3)`, sem criar o arquivo de destino.",
            book: "07-arquivos/transferencia.md#codigos-de-saida",
            required: true,
        },
        Step {
            id: "cliente-corte",
            role: Role::Client,
            title: "o servidor fecha no meio do download: erro, código 4 e nenhum arquivo",
            hint: "Menos bytes que o anunciado é um erro, não o fim do arquivo: grave num \
                   temporário, apague-o se a conexão acabar antes e termine com \
                   `ExitCode::from(4)` e uma linha `Erro: ...`.",
            book: "07-arquivos/transferencia.md#codigos-de-saida",
            required: true,
        },
        Step {
            id: "cliente-sem-servidor",
            role: Role::Client,
            title: "sem servidor, \"Erro: ...\" e o código de saída 2",
            hint: "Quando `TcpStream::connect` falha, explique numa linha `Erro: ...` e termine \
                   com `ExitCode::from(2)`, sem pânico.",
            book: "07-arquivos/transferencia.md#codigos-de-saida",
            required: true,
        },
    ],
};

pub fn server(s: &mut Session) -> Pin<Box<dyn Future<Output = Flow> + '_>> {
    Box::pin(servidor(s))
}

pub fn client(s: &mut Session) -> Pin<Box<dyn Future<Output = Flow> + '_>> {
    Box::pin(cliente(s))
}

/// Lends the folder of `PASTA` (once per run).
async fn lend(s: &mut Session) -> Result<std::path::PathBuf, crate::session::Stop> {
    match s.lend_folder(PASTA) {
        Ok(folder) => Ok(folder),
        Err(why) => {
            s.note("E-SEM-PASTA", why);
            Err(s.fail().await)
        }
    }
}

/// Sends one JSON request line.
async fn ask(s: &mut Session, conn: &mut Conn, request: &Value) -> Flow {
    s.send(conn, json_line(request).as_bytes()).await
}

/// Whether a reply says `ok:true`.
fn ok(reply: &Option<Value>) -> bool {
    reply.as_ref().and_then(|r| r.get("ok")) == Some(&Value::Bool(true))
}

/// Says why a reply that should be `ok:true` is not, in the server's words.
fn diagnose_refusal(s: &mut Session, reply: &Option<Value>) {
    if let Some(reason) = reply
        .as_ref()
        .and_then(|r| r.get("erro"))
        .and_then(Value::as_str)
    {
        let reason: String = reason.chars().take(200).collect();
        s.note(
            "E-RECUSOU",
            format!(
                "O servidor respondeu ok:false a um pedido correto, com o motivo \"{reason}\"."
            ),
        );
    }
}

/// Names the likely cause of files left after an upload or download that did
/// not finish: a temporary never removed, or a partial file under its name.
fn diagnose_leftovers(s: &mut Session, strays: &[String]) {
    if strays.iter().any(|n| n.starts_with('.')) {
        s.note(
            "E-TEMPORARIO-ESQUECIDO",
            format!(
                "Ficou na pasta um temporário ({}): a transferência não terminou, e ninguém o \
                 apagou. Apague-o quando a cópia falhar; guardado numa struct com `Drop`, ele se \
                 apaga sozinho em qualquer saída antecipada (`?`, erro, pânico).",
                strays.join(", ")
            ),
        );
    }
    if strays.iter().any(|n| !n.starts_with('.')) {
        s.note(
            "E-ARQUIVO-PELA-METADE",
            format!(
                "Ficou na pasta um arquivo de uma transferência que não terminou ({}): os bytes \
                 vão direto para o nome final. Escreva num nome temporário e só renomeie \
                 (`fs::rename`) quando todos os bytes chegarem.",
                strays.join(", ")
            ),
        );
    }
}

/// Uploads `content` as `name` (header and bytes back to back) and reads the reply.
async fn upload(s: &mut Session, conn: &mut Conn, name: &str, content: &Content) -> Flow {
    let header = json!({"op": "enviar", "nome": name, "tamanho": content.size});
    ask(s, conn, &header).await?;
    s.send_content(conn, content, 0, content.size).await?;
    let reply = s.receive_json(conn).await;
    if reply.is_none() && s.noted("E-SEM-RESPOSTA") && s.is_running(Role::Server) {
        s.note(
            "E-LE-ATE-EOF",
            format!(
                "O servidor recebeu os {} bytes anunciados e não respondeu. Causa provável: \
                 ele lê até o fim da conexão (`read_to_end`, ou um laço até `read` devolver 0), \
                 e o cliente não fecha: ele espera a resposta. Copie exatamente `tamanho` bytes \
                 (`take(tamanho)`) e responda.",
                content.size
            ),
        );
    }
    if !ok(&reply) {
        diagnose_refusal(s, &reply);
    }
    Ok(())
}

/// Asks for `name` and checks the bytes that follow the reply against `content`.
async fn download(s: &mut Session, conn: &mut Conn, name: &str, content: &Content) -> Flow {
    ask(s, conn, &json!({"op": "baixar", "nome": name})).await?;
    let reply = s.receive_json(conn).await;
    let size = reply
        .as_ref()
        .filter(|_| ok(&reply))
        .and_then(|r| r.get("tamanho"))
        .and_then(Value::as_u64);
    match size {
        Some(size) => {
            s.receive_content(conn, content, size).await;
        }
        None => diagnose_refusal(s, &reply),
    }
    Ok(())
}

async fn servidor(s: &mut Session) -> Flow {
    s.begin("enviar")?;
    lend(s).await?;
    s.start(Role::Server).await?;
    let mut primeiro = s.connect("cliente 1").await?;
    let notas = s.random_content(3000);
    upload(s, &mut primeiro, "notas.txt", &notas).await?;
    s.expect_folder(&[("notas.txt", &notas)]).await;
    s.end().await?;

    s.begin("baixar")?;
    download(s, &mut primeiro, "notas.txt", &notas).await?;
    s.expect_nothing_more(&mut primeiro);
    ask(
        s,
        &mut primeiro,
        &json!({"op": "baixar", "nome": "nao-existe.txt"}),
    )
    .await?;
    s.receive_json(&mut primeiro).await;
    s.end().await?;

    // Sent after notas.txt, listed before it.
    s.begin("listar")?;
    let alfa = s.random_content(70_000);
    upload(s, &mut primeiro, "alfa.bin", &alfa).await?;
    ask(s, &mut primeiro, &json!({"op": "listar"})).await?;
    s.receive_json(&mut primeiro).await;
    s.close(primeiro).await;
    s.end().await?;

    s.begin("cabecalho-picado")?;
    let mut segundo = s.connect("cliente 2").await?;
    let picado = s.random_content(8);
    let header = json!({"op": "enviar", "nome": "p.bin", "tamanho": picado.size});
    s.send_bytewise(&mut segundo, json_line(&header).as_bytes())
        .await?;
    s.send_content_bytewise(&mut segundo, &picado).await?;
    s.receive_json(&mut segundo).await;
    s.close(segundo).await;
    let guardados = [
        ("alfa.bin", &alfa),
        ("notas.txt", &notas),
        ("p.bin", &picado),
    ];
    s.expect_folder(&guardados).await;
    s.end().await?;

    grande(s).await?;

    s.begin("corte")?;
    let cortado = s.random_content(1024 * 1024);
    let mut cortante = s.connect("cliente 4").await?;
    let header = json!({"op": "enviar", "nome": "cortado.bin", "tamanho": cortado.size});
    ask(s, &mut cortante, &header).await?;
    s.send_content(&mut cortante, &cortado, 0, 300_000).await?;
    // The cut comes once the server has read all it was sent: a server that
    // writes in place has then written its partial file, and the folder check
    // below sees it (cut earlier, the check could run before the file exists).
    let left = s
        .deadline()
        .saturating_duration_since(tokio::time::Instant::now());
    crate::faults::wait_until_read(&cortante.stream, left).await;
    s.reset(cortante).await;
    let strays = s.expect_folder(&guardados).await;
    diagnose_leftovers(s, &strays);
    let mut depois = s.connect("cliente 5").await?;
    ask(s, &mut depois, &json!({"op": "listar"})).await?;
    s.receive_json(&mut depois).await;
    s.close(depois).await;
    s.end().await?;

    s.begin("tamanho-mente")?;
    let mentira = s.random_content(1000);
    let mut mentiroso = s.connect("cliente 6").await?;
    let header = json!({"op": "enviar", "nome": "mentira.bin", "tamanho": mentira.size});
    ask(s, &mut mentiroso, &header).await?;
    s.send_content(&mut mentiroso, &mentira, 0, 600).await?;
    let _ = mentiroso.stream.shutdown().await;
    s.say("[cliente 6] fecha só o lado de escrita (shutdown Write): o servidor lê EOF");
    let reply = s.receive_json(&mut mentiroso).await;
    if ok(&reply) {
        s.note(
            "E-TAMANHO-NAO-CONFERIDO",
            "O servidor aceitou um envio que acabou antes do tamanho anunciado: ele leu até o \
             fim da conexão (EOF) e tratou isso como o fim do arquivo. Confira quantos bytes \
             `io::copy` copiou; menos que `tamanho` é um envio incompleto, que não se guarda.",
        );
    }
    s.expect_close(&mut mentiroso).await;
    let strays = s.expect_folder(&guardados).await;
    diagnose_leftovers(s, &strays);
    s.end().await?;

    caminho(s, &guardados).await?;

    s.begin("json-ruim")?;
    let mut confuso = s.connect("cliente 8").await?;
    for line in [
        "isto não é json\n",
        "{\"op\":\"enviar\",\"nome\":\"x.txt\"}\n",
        "{\"op\":\"apagar\",\"nome\":\"notas.txt\"}\n",
        "{\"nome\":\"notas.txt\"}\n",
        "{\"op\":\"listar\"\n",
    ] {
        s.send(&mut confuso, line.as_bytes()).await?;
        s.receive_json(&mut confuso).await;
    }
    ask(s, &mut confuso, &json!({"op": "listar"})).await?;
    s.receive_json(&mut confuso).await;
    s.close(confuso).await;
    s.end().await?;

    simultaneos(s, &guardados).await?;
    s.stop(Role::Server).await;
    Ok(())
}

/// 256 MiB up and down, the server's memory sampled meanwhile. The content is
/// made up as it goes and checked as it comes back: the grader never holds it.
async fn grande(s: &mut Session) -> Flow {
    s.begin("grande")?;
    let grande = s.random_content(GRANDE);
    let mut conn = s.connect("cliente 3").await?;
    let watch = s.watch_memory(Role::Server);
    upload(s, &mut conn, "grande.bin", &grande).await?;
    download(s, &mut conn, "grande.bin", &grande).await?;
    if !s.judge_memory(watch, Role::Server, MEMORIA_MIB) {
        s.note(
            "E-ARQUIVO-NA-MEMORIA",
            format!(
                "A memória do servidor passou de {MEMORIA_MIB} MiB para um arquivo de 256 MiB: \
                 ele guarda o arquivo inteiro na memória (`read_to_end`, `fs::read`, \
                 `vec![0; tamanho]`) antes de escrever ou de enviar. Copie aos pedaços, com um \
                 buffer fixo (`io::copy` usa 8 KiB)."
            ),
        );
    }
    s.close(conn).await;
    s.remove_file("grande.bin");
    s.end().await
}

/// Names that climb out of the folder, or name another one: each refused, the
/// bytes after it skipped, the connection still usable, nothing written.
async fn caminho(s: &mut Session, guardados: &[(&str, &Content)]) -> Flow {
    s.begin("caminho")?;
    let folder = s.lent_folder().map(|p| p.display().to_string());
    let lixo = s.random_content(16);
    let mut invasor = s.connect("cliente 7").await?;
    let mut names: Vec<String> = [
        "../fora.txt",
        "../pasta/volta.txt",
        "..\\fora.txt",
        "sub/dentro.txt",
        "..",
        "",
        "a\0b.txt",
    ]
    .iter()
    .map(|n| (*n).to_owned())
    .collect();
    // An absolute path that points inside the folder: `join` would obey it.
    names.extend(folder.map(|f| format!("{f}/absoluto.txt")));
    for name in &names {
        let header = json!({"op": "enviar", "nome": name, "tamanho": lixo.size});
        ask(s, &mut invasor, &header).await?;
        s.send_content(&mut invasor, &lixo, 0, lixo.size).await?;
        let reply = s.receive_json(&mut invasor).await;
        diagnose_accepted(s, &reply, name);
    }
    for name in [
        "../../../../../../../../../../etc/passwd",
        "../pasta/notas.txt",
    ] {
        ask(s, &mut invasor, &json!({"op": "baixar", "nome": name})).await?;
        let reply = s.receive_json(&mut invasor).await;
        diagnose_accepted(s, &reply, name);
    }
    ask(s, &mut invasor, &json!({"op": "listar"})).await?;
    s.receive_json(&mut invasor).await;
    s.close(invasor).await;
    s.expect_folder(guardados).await;
    s.expect_nothing_outside();
    s.end().await
}

/// A name that leaves the folder got `ok:true`: say which.
fn diagnose_accepted(s: &mut Session, reply: &Option<Value>, name: &str) {
    if ok(reply) {
        s.note(
            "E-CAMINHO-ACEITO",
            format!(
                "O servidor aceitou o nome {name:?}, que não é um nome de arquivo simples: ele \
                 usa o nome vindo da rede como caminho. `pasta.join(\"../x\")` sai da pasta, e \
                 `pasta.join(\"/etc/passwd\")` a ignora. Recuse nomes vazios, com /, \\, .. \
                 ou um byte nulo antes do `join`."
            ),
        );
    }
}

/// Five uploads at once: the first half of each, in turn, then the rest in
/// the reverse order, each waiting for its reply. A server that serves one
/// connection at a time waits for the rest of the first forever. The last two
/// have the same name: the one that finishes last is the one kept, whole.
async fn simultaneos(s: &mut Session, guardados: &[(&str, &Content)]) -> Flow {
    s.begin("simultaneos")?;
    let names = ["u1.bin", "u2.bin", "u3.bin", "mesmo.bin", "mesmo.bin"];
    let mut uploads = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let content = s.random_content(128 * 1024);
        let mut conn = s.connect(&format!("cliente {}", 9 + index)).await?;
        let header = json!({"op": "enviar", "nome": name, "tamanho": content.size});
        ask(s, &mut conn, &header).await?;
        s.send_content(&mut conn, &content, 0, content.size / 2)
            .await?;
        uploads.push((conn, content));
    }
    for (conn, content) in uploads.iter_mut().rev() {
        s.send_content(conn, content, content.size / 2, content.size)
            .await?;
        let reply = s.receive_json(conn).await;
        if reply.is_none() && s.noted("E-SEM-RESPOSTA") {
            s.note(
                "E-UM-DE-CADA-VEZ",
                "Um envio terminou e a resposta não veio, enquanto outros quatro estavam em \
                 curso: o servidor atende uma conexão de cada vez e ainda espera o resto da \
                 primeira. Atenda cada conexão numa thread (`thread::spawn`).",
            );
        }
    }
    let contents: Vec<Content> = uploads.iter().map(|(_, c)| c.clone()).collect();
    for (conn, _) in uploads {
        s.close(conn).await;
    }
    // The first "mesmo.bin" (the fourth upload) finished last: it is the one kept.
    let mut expected: Vec<(&str, &Content)> = guardados.to_vec();
    expected.extend([
        ("u1.bin", &contents[0]),
        ("u2.bin", &contents[1]),
        ("u3.bin", &contents[2]),
        ("mesmo.bin", &contents[3]),
    ]);
    s.expect_folder(&expected).await;
    s.end().await
}

async fn cliente(s: &mut Session) -> Flow {
    s.begin("cliente-enviar")?;
    let folder = lend(s).await?;
    let listener = s.listen().await?;
    let foto = s.random_content(300_000);
    s.put_file("foto.bin", &foto).await?;
    let path = |name: &str| folder.join(name).display().to_string();
    s.start_with_args(Role::Client, &["enviar".to_owned(), path("foto.bin")])
        .await?;
    let mut conn = s.accept(&listener).await?;
    s.receive_json(&mut conn).await;
    s.receive_content(&mut conn, &foto, foto.size).await;
    let reply = json!({"ok": true, "tamanho": foto.size});
    s.send(&mut conn, json_line(&reply).as_bytes()).await?;
    s.wait_exit(Role::Client).await?;
    s.expect_printed("Enviado: foto.bin (300000 bytes)").await;
    s.close(conn).await;
    s.end().await?;

    s.begin("cliente-baixar")?;
    let relatorio = s.random_content(200_000);
    let args = [
        "baixar".to_owned(),
        "relatorio.pdf".to_owned(),
        path("copia.pdf"),
    ];
    s.start_with_args(Role::Client, &args).await?;
    let mut conn = s.accept(&listener).await?;
    s.receive_json(&mut conn).await;
    let reply = json!({"ok": true, "tamanho": relatorio.size});
    s.send(&mut conn, json_line(&reply).as_bytes()).await?;
    s.send_content(&mut conn, &relatorio, 0, relatorio.size)
        .await?;
    // The connection stays open: the client must stop at `tamanho`, not at EOF.
    s.note_if_it_fails(
            "E-LE-ATE-EOF",
            "O cliente recebeu todos os bytes anunciados e continuou esperando: ele lê até o              fim da conexão (`read_to_end`, `io::copy` sem `take`), e o servidor não fecha.              Leia exatamente `tamanho` bytes e termine.",
    );
    s.wait_exit(Role::Client).await?;
    s.expect_printed("Baixado: relatorio.pdf (200000 bytes)")
        .await;
    s.close(conn).await;
    let baixados = [("copia.pdf", &relatorio), ("foto.bin", &foto)];
    s.expect_folder(&baixados).await;
    s.end().await?;

    s.begin("cliente-listar")?;
    s.start_with_args(Role::Client, &["listar".to_owned()])
        .await?;
    let mut conn = s.accept(&listener).await?;
    s.receive_json(&mut conn).await;
    let reply = json!({"ok": true, "arquivos": [
        {"nome": "alfa.bin", "tamanho": 70000},
        {"nome": "notas.txt", "tamanho": 3000},
    ]});
    s.send(&mut conn, json_line(&reply).as_bytes()).await?;
    s.expect_printed("alfa.bin (70000 bytes)").await;
    s.expect_printed("notas.txt (3000 bytes)").await;
    s.wait_exit(Role::Client).await?;
    s.close(conn).await;
    s.end().await?;

    s.begin("cliente-recusado")?;
    let args = [
        "baixar".to_owned(),
        "sumiu.txt".to_owned(),
        path("sumiu.txt"),
    ];
    s.start_with_args(Role::Client, &args).await?;
    let mut conn = s.accept(&listener).await?;
    s.receive_json(&mut conn).await;
    let reply = json!({"ok": false, "erro": "não há arquivo \"sumiu.txt\""});
    s.send(&mut conn, json_line(&reply).as_bytes()).await?;
    s.wait_exit(Role::Client).await?;
    s.expect_error_line(Role::Client).await;
    s.close(conn).await;
    s.expect_folder(&baixados).await;
    s.end().await?;

    s.begin("cliente-corte")?;
    let iso = s.random_content(2 * 1024 * 1024);
    let args = [
        "baixar".to_owned(),
        "grande.iso".to_owned(),
        path("grande.iso"),
    ];
    s.start_with_args(Role::Client, &args).await?;
    let mut conn = s.accept(&listener).await?;
    s.receive_json(&mut conn).await;
    let reply = json!({"ok": true, "tamanho": iso.size});
    s.send(&mut conn, json_line(&reply).as_bytes()).await?;
    s.send_content(&mut conn, &iso, 0, 700_000).await?;
    s.close(conn).await;
    s.wait_exit(Role::Client).await?;
    s.expect_error_line(Role::Client).await;
    let strays = s.expect_folder(&baixados).await;
    diagnose_leftovers(s, &strays);
    s.end().await?;

    // Last: the grader stops listening, and the client finds no one.
    s.begin("cliente-sem-servidor")?;
    drop(listener);
    s.say("[corretor] para de escutar");
    s.start_with_args(Role::Client, &["listar".to_owned()])
        .await?;
    s.wait_exit(Role::Client).await?;
    s.expect_error_line(Role::Client).await;
    s.end().await?;
    s.stop(Role::Client).await;
    Ok(())
}
