//! HTTP/1.1 actions: the grader reads a response off a connection it holds
//! (status line, headers up to the blank line, then a body framed by
//! `Content-Length` or by the close), and records what matters for the lab.
//!
//! Only the headers the lab asks for are recorded (`Content-Type`,
//! `Content-Length`, `Allow`, `Connection: close`): a server may add `Date` or
//! `Server`, which vary, without failing. An error page is any HTML the server
//! likes, so its bytes are not compared, only that it came whole.

use tokio::io::AsyncReadExt;
use tokio::time::Instant;

use super::keyboard::visible;
use super::{Session, tcp::Conn};
use crate::transcript::escape;
use crate::wire::{self, Ending};

/// The most a response head (status line and headers) may take here.
const HEAD_CAP: usize = 64 * 1024;
/// The most of a body the grader keeps.
const BODY_CAP: usize = 8 * 1024 * 1024;

/// How a response's body is shown in the transcript.
#[derive(Clone, Copy, Debug)]
pub enum Body<'a> {
    /// As it came: the grader wrote it, so its random words are redacted.
    Text,
    /// Compared with the file the grader put in the served folder.
    File { name: &'a str, bytes: &'a [u8] },
    /// An error page: any non-empty body, not compared.
    ErrorPage,
    /// A response to `HEAD`: no body is read (what follows shows any).
    Head,
}

/// A response as read.
#[derive(Clone, Debug, Default)]
pub struct Response {
    pub status_line: String,
    pub code: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header called `name` (any case), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn content_length(&self) -> Option<Result<usize, ()>> {
        self.header("content-length")
            .map(|v| v.parse::<usize>().map_err(|_| ()))
    }
}

/// Why no whole response came.
#[derive(Debug)]
pub enum Missing {
    /// The connection closed (or broke) with these bytes of a head, maybe none.
    Closed(Vec<u8>, Option<std::io::Error>),
    /// The deadline passed with these bytes of a head, maybe none.
    Silent(Vec<u8>),
    /// More than [`HEAD_CAP`] bytes without the blank line.
    HeadTooBig,
    /// The head came, the body did not: what came, and how much was promised.
    ShortBody {
        response: Response,
        promised: usize,
        closed: bool,
    },
}

/// Reads bytes into `conn.pending` until `done` says where the wanted part ends.
async fn fill_until(
    conn: &mut Conn,
    deadline: Instant,
    cap: usize,
    done: impl Fn(&[u8]) -> Option<usize>,
) -> Result<Vec<u8>, (Ending, Vec<u8>)> {
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        if let Some(end) = done(&conn.pending) {
            return Ok(conn.pending.drain(..end).collect());
        }
        if conn.pending.len() > cap {
            return Err((Ending::TooMuch, std::mem::take(&mut conn.pending)));
        }
        match tokio::time::timeout_at(deadline, conn.stream.read(&mut chunk)).await {
            Err(_) => return Err((Ending::StillOpen, std::mem::take(&mut conn.pending))),
            Ok(Ok(0)) => return Err((Ending::Closed, std::mem::take(&mut conn.pending))),
            Ok(Ok(n)) => conn.pending.extend_from_slice(&chunk[..n]),
            Ok(Err(error)) => {
                return Err((Ending::Broken(error), std::mem::take(&mut conn.pending)));
            }
        }
    }
}

/// Reads one response: the head up to `\r\n\r\n`, then the body as the head
/// frames it (none for `HEAD`, 1xx, 204 and 304). No transcript line.
pub async fn read_response(
    conn: &mut Conn,
    deadline: Instant,
    head_only: bool,
) -> Result<Response, Missing> {
    let head = fill_until(conn, deadline, HEAD_CAP, |b| {
        b.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
    })
    .await
    .map_err(|(ending, partial)| match ending {
        Ending::StillOpen => Missing::Silent(partial),
        Ending::TooMuch => Missing::HeadTooBig,
        Ending::Broken(error) => Missing::Closed(partial, Some(error)),
        Ending::Closed => Missing::Closed(partial, None),
    })?;
    let text = String::from_utf8_lossy(&head[..head.len() - 4]).into_owned();
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default().to_owned();
    let code = status_line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok());
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut response = Response {
        status_line,
        code,
        headers,
        body: Vec::new(),
    };
    let no_body = head_only || matches!(code, Some(100..=199 | 204 | 304));
    if no_body {
        return Ok(response);
    }
    match response.content_length() {
        Some(Ok(promised)) => {
            match fill_until(conn, deadline, BODY_CAP.max(promised), |b| {
                (b.len() >= promised).then_some(promised)
            })
            .await
            {
                Ok(body) => response.body = body,
                Err((ending, partial)) => {
                    response.body = partial;
                    return Err(Missing::ShortBody {
                        response,
                        promised,
                        closed: !matches!(ending, Ending::StillOpen),
                    });
                }
            }
        }
        // No length (or one that is not a number): the body runs to the close.
        _ => {
            let (rest, ending) =
                wire::read_until_close(&mut conn.stream, BODY_CAP, deadline, |_| {}).await;
            response.body = [std::mem::take(&mut conn.pending), rest].concat();
            if !matches!(ending, Ending::Closed) {
                let promised = response.body.len() + 1;
                return Err(Missing::ShortBody {
                    response,
                    promised,
                    closed: false,
                });
            }
            conn.ending = Some(Ending::Closed);
        }
    }
    Ok(response)
}

impl Session {
    /// Reads one response on `conn` and records it: the status line, with
    /// `headers` the headers the lab asks for, and the body as `body` says.
    /// `None` when no whole response came (already recorded and diagnosed).
    pub async fn receive_response(
        &mut self,
        conn: &mut Conn,
        body: Body<'_>,
        headers: bool,
    ) -> Option<Response> {
        let deadline = if self.gave_up() {
            Instant::now()
        } else {
            self.deadline()
        };
        let actor = conn.actor.clone();
        let earlier = conn.responses;
        let outcome = read_response(conn, deadline, matches!(body, Body::Head)).await;
        let response = match outcome {
            Ok(response) => response,
            Err(missing) => {
                self.record_missing(&actor, earlier, missing, headers, body);
                return None;
            }
        };
        conn.responses += 1;
        self.record_response(&actor, &response, headers, body);
        Some(response)
    }

    fn record_response(&mut self, actor: &str, r: &Response, headers: bool, body: Body<'_>) {
        self.record(&format!("[{actor}] ← {}", visible(&r.status_line)));
        if headers {
            self.record_headers(actor, r, body);
        }
        let shown = match body {
            Body::Head => return,
            _ if r.body.is_empty() => "vazio".to_owned(),
            Body::Text => escape(&r.body),
            Body::ErrorPage => "uma página de erro".to_owned(),
            Body::File { name, bytes } if bytes == r.body.as_slice() => {
                format!("os {} bytes de {name}", bytes.len())
            }
            Body::File { name, bytes } => {
                self.note(
                    "E-HTTP-CORPO-DIFERENTE",
                    format!(
                        "O corpo não é o arquivo {name}: chegaram {} bytes, o arquivo tem {}. \
                         Envie os bytes do arquivo como estão, sem convertê-los para texto \
                         (um PNG não é UTF-8).",
                        r.body.len(),
                        bytes.len()
                    ),
                );
                format!(
                    "{} bytes, diferentes dos {} de {name}",
                    r.body.len(),
                    bytes.len()
                )
            }
        };
        self.record(&format!("[{actor}] ← corpo: {shown}"));
    }

    fn record_headers(&mut self, actor: &str, r: &Response, body: Body<'_>) {
        if let Some(kind) = r.header("content-type") {
            self.record(&format!("[{actor}] ←   Content-Type: {kind}"));
        }
        match r.content_length() {
            // An error page's length is the server's: only its agreement counts.
            Some(Ok(n)) if matches!(body, Body::ErrorPage) && n == r.body.len() => {
                self.record(&format!(
                    "[{actor}] ←   Content-Length: (o tamanho do corpo)"
                ));
            }
            // A HEAD of an error page: no body to compare the number with.
            Some(Ok(_)) if matches!(body, Body::Head) && r.code.is_some_and(|c| c >= 400) => {
                self.record(&format!("[{actor}] ←   Content-Length: (um número)"));
            }
            Some(_) => {
                let value = r.header("content-length").unwrap_or_default();
                self.record(&format!("[{actor}] ←   Content-Length: {value}"));
            }
            None => {
                self.record(&format!("[{actor}] ←   (sem Content-Length)"));
                self.note(
                    "E-HTTP-SEM-CONTENT-LENGTH",
                    "A resposta não tem o cabeçalho Content-Length. Sem ele, o corpo só \
                     termina quando o servidor fecha a conexão, e a conexão não pode ser \
                     reaproveitada para o próximo pedido (keep-alive). Envie \
                     `Content-Length: <tamanho do corpo em bytes>` (o tamanho do arquivo, de \
                     `metadata().len()`), mesmo num HEAD ou numa página de erro.",
                );
            }
        }
        if let Some(allow) = r.header("allow") {
            self.record(&format!("[{actor}] ←   Allow: {allow}"));
        }
        // `keep-alive` is HTTP/1.1's default: saying it or not is the same.
        if r.header("connection")
            .is_some_and(|v| v.to_ascii_lowercase().contains("close"))
        {
            self.record(&format!("[{actor}] ←   Connection: close"));
        }
    }

    fn record_missing(
        &mut self,
        actor: &str,
        earlier: usize,
        missing: Missing,
        headers: bool,
        body: Body<'_>,
    ) {
        let after = self.timeout_text();
        match missing {
            Missing::Closed(partial, error) if partial.is_empty() => {
                let how = match &error {
                    Some(error) => format!(
                        "a conexão caiu sem resposta: {}",
                        wire::describe_error(error)
                    ),
                    None => "o servidor fechou a conexão sem responder".to_owned(),
                };
                self.say(format!("[{actor}] {how}"));
                if earlier > 0 {
                    self.note(
                        "E-HTTP-FECHOU-CEDO",
                        "O servidor respondeu o pedido anterior e fechou a conexão, mas o \
                         cliente não pediu `Connection: close`. No HTTP/1.1 a conexão continua \
                         aberta (keep-alive) para o próximo pedido: depois de responder, volte \
                         a ler o próximo pedido do MESMO leitor, num laço, até o cliente fechar \
                         ou pedir `Connection: close`.",
                    );
                } else {
                    self.note(
                        "E-HTTP-SEM-RESPOSTA",
                        "O servidor aceitou a conexão, recebeu o pedido e fechou sem mandar nada. \
                         Uma resposta HTTP começa pela linha de status (`HTTP/1.1 200 OK\\r\\n`), \
                         segue com os cabeçalhos, uma linha vazia (`\\r\\n`) e o corpo. A saída \
                         do servidor, abaixo, diz até onde ele chegou.",
                    );
                }
            }
            Missing::Silent(partial) if partial.is_empty() => {
                self.say(format!("[{actor}] nenhuma resposta chegou em {after}"));
                self.note(
                    "E-HTTP-SEM-RESPOSTA",
                    format!(
                        "O pedido foi enviado inteiro (terminado pela linha vazia `\\r\\n\\r\\n`) e \
                         nada voltou em {after}. O servidor lê o pedido até a linha vazia, ou \
                         espera o fim da conexão (`read_to_end`), que não vem? Leia linha a \
                         linha, com `read_line`, até a linha vazia, e responda logo."
                    ),
                );
                self.give_up_if(true);
            }
            Missing::Closed(partial, _) | Missing::Silent(partial) => {
                self.record(&format!("[{actor}] ← {}", escape(&partial)));
                self.say(format!(
                    "[{actor}] o cabeçalho da resposta não terminou (faltou a linha vazia \\r\\n\\r\\n)"
                ));
                self.note(
                    "E-HTTP-CABECALHO-INCOMPLETO",
                    "Chegou o começo de uma resposta, mas o cabeçalho não terminou: cada linha \
                     termina em `\\r\\n` (não só `\\n`), e uma linha vazia (`\\r\\n`) separa os \
                     cabeçalhos do corpo. Sem ela, ninguém sabe onde o corpo começa.",
                );
            }
            Missing::HeadTooBig => {
                self.say(format!(
                    "[{actor}] parou de ler: mais de {HEAD_CAP} bytes sem a linha vazia"
                ));
                self.note(
                    "E-HTTP-CABECALHO-INCOMPLETO",
                    "Chegaram muitos bytes sem a linha vazia (`\\r\\n\\r\\n`) que fecha o cabeçalho.",
                );
            }
            Missing::ShortBody {
                response,
                promised,
                closed,
            } => {
                let got = response.body.len();
                self.record_response(actor, &response, headers, body);
                let (line, text) = match (response.content_length(), closed) {
                    (Some(Ok(_)), true) => (
                        format!(
                            "o servidor fechou depois de {got} dos {promised} bytes prometidos"
                        ),
                        format!(
                            "O Content-Length prometia {promised} bytes e só chegaram {got} antes \
                             de a conexão fechar. O Content-Length é o tamanho do corpo em BYTES \
                             (um `ç` são dois), e o corpo tem que ir inteiro."
                        ),
                    ),
                    (Some(Ok(_)), false) => (
                        format!("só {got} dos {promised} bytes prometidos chegaram em {after}"),
                        format!(
                            "O Content-Length prometia {promised} bytes e só chegaram {got} em \
                             {after}. O Content-Length é o tamanho do corpo em BYTES, não em \
                             caracteres; prometer mais do que se envia deixa o cliente esperando."
                        ),
                    ),
                    _ => (
                        format!(
                            "sem Content-Length, o corpo não terminou: a conexão continua aberta depois de {after}"
                        ),
                        "A resposta não diz o tamanho do corpo (Content-Length) e a conexão não \
                         fechou: o cliente não tem como saber onde o corpo termina. Envie \
                         `Content-Length`."
                            .to_owned(),
                    ),
                };
                self.say(format!("[{actor}] {line}"));
                self.note("E-HTTP-CORPO-CURTO", text);
                self.give_up_if(!closed);
            }
        }
    }

    /// After a response the client asked to be the last (`Connection: close`):
    /// no more bytes, and the server closes the connection.
    pub async fn expect_http_close(&mut self, conn: &mut Conn) {
        let deadline = if self.gave_up() {
            Instant::now()
        } else {
            self.deadline()
        };
        let actor = conn.actor.clone();
        let earlier = std::mem::take(&mut conn.pending);
        let (rest, ending) =
            wire::read_until_close(&mut conn.stream, HEAD_CAP, deadline, |_| {}).await;
        let extra = [earlier, rest].concat();
        if !extra.is_empty() {
            self.record(&format!(
                "[{actor}] ← {} (depois da resposta)",
                escape(&extra)
            ));
            self.note(
                "E-BYTES-A-MAIS",
                format!(
                    "Depois da resposta vieram {} byte(s) a mais. O corpo tem exatamente os \
                     bytes do Content-Length (e uma resposta a HEAD não tem corpo nenhum).",
                    extra.len()
                ),
            );
        }
        let line = match &ending {
            Ending::Closed => "o servidor fechou a conexão".to_owned(),
            Ending::StillOpen | Ending::TooMuch => {
                self.note(
                    "E-HTTP-NAO-FECHOU",
                    format!(
                        "O pedido trazia `Connection: close` (ou era o fim da conversa), e a \
                         conexão continuou aberta por {}. Depois de responder a um pedido com \
                         `Connection: close`, mande `Connection: close` na resposta e feche.",
                        self.timeout_text()
                    ),
                );
                self.give_up_if(true);
                format!(
                    "a conexão continua aberta depois de {}",
                    self.timeout_text()
                )
            }
            Ending::Broken(error) => {
                self.note(
                    "E-HTTP-RESET",
                    "A conexão terminou com um reset (RST) em vez de um fechamento normal. O \
                     sistema manda um RST quando um socket fecha com bytes recebidos e ainda não \
                     lidos, e o RST pode apagar a resposta antes de o cliente lê-la. Antes de \
                     fechar, `shutdown(Shutdown::Write)` e leia (com teto e prazo) o que ainda \
                     chegar.",
                );
                format!("a conexão caiu: {}", wire::describe_error(error))
            }
        };
        conn.ending = Some(ending);
        self.say(format!("[{actor}] {line}"));
    }
}

impl Session {
    /// The grader as the server: reads one request head from the learner's
    /// client and records its request line and its `Host` (the other headers
    /// are the client's business). `None` when no whole head came.
    pub async fn receive_request(&mut self, conn: &mut Conn) -> Option<Vec<u8>> {
        let deadline = self.deadline();
        let actor = conn.actor.clone();
        let head = fill_until(conn, deadline, HEAD_CAP, |b| {
            b.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
        })
        .await;
        let head = match head {
            Ok(head) => head,
            Err((ending, partial)) => {
                if !partial.is_empty() {
                    self.record(&format!("[{actor}] ← {}", escape(&partial)));
                }
                let how = match ending {
                    Ending::StillOpen => {
                        format!("o pedido não terminou em {}", self.timeout_text())
                    }
                    _ => "a conexão fechou antes do fim do pedido".to_owned(),
                };
                self.say(format!("[{actor}] {how}"));
                self.note(
                    "E-HTTP-PEDIDO-INCOMPLETO",
                    "O pedido do cliente não chegou inteiro: cada linha termina em `\\r\\n`, e uma \
                     linha vazia (`\\r\\n`) fecha o cabeçalho. Sem ela, o servidor continua \
                     esperando mais cabeçalhos.",
                );
                self.give_up_if(true);
                return None;
            }
        };
        let text = String::from_utf8_lossy(&head).into_owned();
        let mut lines = text.split("\r\n");
        let request_line = lines.next().unwrap_or_default();
        self.record(&format!("[{actor}] ← {}", visible(request_line)));
        let host = lines
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case("host"))
            .map(|(_, v)| v.trim().to_owned());
        match host {
            Some(host) => self.record(&format!("[{actor}] ←   Host: {host}")),
            None => {
                self.record(&format!("[{actor}] ←   (sem Host)"));
                self.note(
                    "E-HTTP-SEM-HOST",
                    "O pedido não tem o cabeçalho Host, obrigatório no HTTP/1.1: um servidor \
                     pode atender vários sites no mesmo endereço, e é o Host que diz qual. \
                     Envie `Host: <host>:<porta>`.",
                );
            }
        }
        Some(head)
    }
}
