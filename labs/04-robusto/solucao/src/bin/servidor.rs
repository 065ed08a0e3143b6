//! Servidor robusto: o servidor echo do laboratório 02, preparado para tudo o que dá
//! errado numa rede. Reinicia na mesma porta sem esperar, desconecta quem fica calado
//! além do prazo, responde o que falta quando o cliente fecha o lado dele, sobrevive a
//! quem some e, com SIGTERM ou Ctrl-C, avisa todos os clientes antes de terminar.
//!
//! Rode com `cargo run --bin servidor`; teste com `nc 127.0.0.1 5000`.

// ANCHOR: usos
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, ErrorKind, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use socket2::{Domain, Protocol, Socket, Type};
// ANCHOR_END: usos

/// O que um cliente calado além do prazo recebe antes de ser desconectado.
const AVISO_TEMPO_ESGOTADO: &[u8] = b"Tempo esgotado\n";
/// O que cada cliente recebe quando o servidor vai terminar.
const AVISO_ENCERRANDO: &[u8] = b"Servidor encerrando\n";
/// Quanto o encerramento espera por escritas em andamento (uma resposta echo pela
/// metade) antes de derrubar todas as conexões: bem menos que os 2 s que o corretor dá.
const PRAZO_DESPEDIDA: Duration = Duration::from_millis(500);

// ANCHOR: registro
// ANCHOR: tipos
/// Um cliente conectado, do jeito que o encerramento precisa dele.
struct Cliente {
    /// O lado de escrever, com cadeado: quem escreve segura o cadeado durante a
    /// mensagem inteira, e o aviso de encerramento nunca cai no meio de uma resposta
    /// echo.
    escritor: Arc<Mutex<TcpStream>>,
    /// Mais uma cópia do socket, só para derrubar a conexão sem precisar do
    /// cadeado, que pode estar com uma thread presa numa escrita.
    conexao: TcpStream,
}

/// Quem está conectado, compartilhado entre a thread que aceita e a que encerra.
#[derive(Default)]
struct Clientes {
    /// Depois do sinal, quem chega é dispensado na porta, com o aviso.
    encerrando: bool,
    /// Os clientes conectados agora, pelo número da conexão.
    conectados: HashMap<u64, Cliente>,
}

type Registro = Arc<Mutex<Clientes>>;
// ANCHOR_END: tipos

/// Trava um cadeado. Se uma thread entrou em pânico com ele na mão, o que ele
/// guarda continua utilizável: cada operação o deixa consistente.
fn trancar<T>(cadeado: &Mutex<T>) -> MutexGuard<'_, T> {
    cadeado.lock().unwrap_or_else(PoisonError::into_inner)
}
// ANCHOR_END: registro

// ANCHOR: main
fn main() -> ExitCode {
    let endereco = robusto_solucao::endereco();
    let limite = robusto_solucao::tempo_limite();

    // ANCHOR: sinais
    // Os sinais são registrados antes de abrir a porta: um SIGTERM que chegue logo
    // depois do `bind` já encontra quem cuide dele, em vez de matar o processo.
    let mut sinais = match Signals::new([SIGTERM, SIGINT]) {
        Ok(sinais) => sinais,
        Err(erro) => {
            eprintln!("Erro: não consegui tratar SIGTERM e SIGINT: {erro}");
            return ExitCode::FAILURE;
        }
    };
    // ANCHOR_END: sinais

    let servidor = match escutar(endereco) {
        Ok(servidor) => servidor,
        Err(erro) => {
            eprintln!("Erro: não consegui escutar em {endereco}: {erro}");
            return ExitCode::FAILURE;
        }
    };
    println!("Servidor robusto escutando em {endereco}");

    // ANCHOR: esperar-sinal
    // O laço do `accept` vai para uma thread; a principal fica livre para esperar o
    // sinal. `forever().next()` dorme até chegar um SIGTERM ou um SIGINT.
    let registro = Registro::default();
    let para_aceitar = Arc::clone(&registro);
    thread::spawn(move || aceitar(servidor, para_aceitar, limite));
    sinais.forever().next();
    // ANCHOR_END: esperar-sinal

    encerrar(&registro);
    println!("Servidor encerrando");
    // Sair do `main` termina o processo, e com ele as threads que ainda atendem.
    ExitCode::SUCCESS
}
// ANCHOR_END: main

// ANCHOR: escutar
/// Abre o socket de escuta, uma opção de cada vez.
fn escutar(endereco: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    // Uma conexão recém-fechada fica um tempo em TIME_WAIT, ainda presa à porta.
    // Sem SO_REUSEADDR, o `bind` recusa a porta ("Address already in use") até ela
    // sumir, e o servidor reiniciado não sobe. O `TcpListener::bind` da biblioteca
    // padrão já liga essa opção no Unix (Linux, macOS), mas não em todo sistema nem
    // em toda linguagem (o Python não liga); aqui ela fica à vista, antes do `bind`.
    socket.set_reuse_address(true)?;
    socket.bind(&endereco.into())?;
    // O tamanho da fila de conexões completas que esperam o `accept`.
    socket.listen(1024)?;
    Ok(socket.into())
}
// ANCHOR_END: escutar

// ANCHOR: aceitar
/// O laço do `accept`: registra cada cliente e dá a ele uma thread.
// ANCHOR: assinatura-aceitar
fn aceitar(servidor: TcpListener, registro: Registro, limite: Duration) {
    // ANCHOR_END: assinatura-aceitar
    for id in 0u64.. {
        // `accept` devolve também o endereço do cliente: perguntar depois, com
        // `peer_addr`, falharia se ele já tivesse derrubado a conexão.
        let (conexao, quem) = match servidor.accept() {
            Ok(aceita) => aceita,
            Err(erro) => {
                eprintln!("accept falhou: {erro}");
                continue;
            }
        };
        // ANCHOR: prazos
        // Cada `read` (e cada `write`) espera no máximo `limite`: um cliente calado,
        // ou que não lê o que recebe, não prende a thread dele para sempre.
        let preparada = conexao
            .set_read_timeout(Some(limite))
            .and_then(|()| conexao.set_write_timeout(Some(limite)))
            .and_then(|()| inscrever(id, &conexao, &registro));
        // ANCHOR_END: prazos
        match preparada {
            Ok(Some(escritor)) => {
                let registro = Arc::clone(&registro);
                thread::spawn(move || {
                    // O erro de UM cliente encerra só a conversa com ele.
                    if let Err(erro) = atender(conexao, quem, &escritor) {
                        eprintln!("Conversa com {quem} encerrada com erro: {erro}");
                    }
                    // Do jeito que a conversa acabou, o cliente sai do registro e a
                    // conexão fecha de vez: a cópia guardada lá também é descartada.
                    if let Some(cliente) = trancar(&registro).conectados.remove(&id) {
                        let _ = cliente.conexao.shutdown(Shutdown::Both);
                    }
                });
            }
            // O servidor está encerrando: quem chega agora é avisado e dispensado.
            Ok(None) => despedir(&conexao),
            Err(erro) => eprintln!("Conexão com {quem} descartada: {erro}"),
        }
    }
}
// ANCHOR_END: aceitar

// ANCHOR: inscrever

/// Põe a conexão no registro e devolve o escritor dela; `None` se o servidor já
/// está encerrando. Olhar a marca e inscrever acontecem com o mesmo cadeado na mão:
/// ou o encerramento encontra este cliente no registro, ou o cliente encontra a marca.
// ANCHOR: assinatura-inscrever
fn inscrever(
    id: u64,
    conexao: &TcpStream,
    registro: &Registro,
) -> io::Result<Option<Arc<Mutex<TcpStream>>>> {
    // ANCHOR_END: assinatura-inscrever
    let escritor = Arc::new(Mutex::new(conexao.try_clone()?));
    let cliente = Cliente {
        escritor: Arc::clone(&escritor),
        conexao: conexao.try_clone()?,
    };
    let mut clientes = trancar(registro);
    if clientes.encerrando {
        return Ok(None);
    }
    clientes.conectados.insert(id, cliente);
    Ok(Some(escritor))
}
// ANCHOR_END: inscrever

// ANCHOR: atender
/// Conversa com um cliente até ele fechar o lado dele, ficar calado além do prazo ou
/// sumir.
fn atender(conexao: TcpStream, quem: SocketAddr, escritor: &Mutex<TcpStream>) -> io::Result<()> {
    println!("Conectado com {quem}");
    let mut leitor = BufReader::new(conexao);
    loop {
        // ANCHOR: ler
        // `read_until` junta bytes até o `\n`, como o `lines()` do laboratório 02, mas
        // devolve bytes: a conversão para texto fica por nossa conta, e nunca falha.
        let mut linha = Vec::new();
        match leitor.read_until(b'\n', &mut linha) {
            // EOF sem nada pendente: o cliente fechou entre uma linha e outra.
            Ok(0) => break,
            Ok(_) => {
                responder(escritor, &linha)?;
                // ANCHOR: meia-conexao
                // Sem `\n` no fim, é o último pedaço antes do EOF: o cliente fechou o
                // lado de escrita dele (fechamento parcial). O pedaço foi respondido
                // acima, e ele não vai mandar mais nada.
                if !linha.ends_with(b"\n") {
                    break;
                }
                // ANCHOR_END: meia-conexao
            }
            // ANCHOR: tempo-esgotado
            // O prazo do `set_read_timeout` acabou sem chegar um byte sequer. No Unix,
            // isso aparece como `WouldBlock`; no Windows, como `TimedOut`.
            Err(erro) if matches!(erro.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                println!("{quem} ficou calado além do prazo");
                trancar(escritor).write_all(AVISO_TEMPO_ESGOTADO)?;
                break;
            }
            // ANCHOR_END: tempo-esgotado
            // Reset, por exemplo: o cliente sumiu no meio da linha. O erro sobe e
            // encerra esta conversa, e só ela.
            Err(erro) => return Err(erro),
        }
        // ANCHOR_END: ler
    }
    println!("Conversa com {quem} encerrada");
    Ok(())
}
// ANCHOR_END: atender

// ANCHOR: responder
/// Responde `Echo: <linha>\n`, numa escrita só e com o cadeado do escritor na mão.
fn responder(escritor: &Mutex<TcpStream>, linha: &[u8]) -> io::Result<()> {
    let linha = linha.strip_suffix(b"\n").unwrap_or(linha);
    let linha = linha.strip_suffix(b"\r").unwrap_or(linha);
    // Bytes que não são UTF-8 viram `�` em vez de um erro: a conversa continua.
    let resposta = format!("Echo: {}\n", String::from_utf8_lossy(linha));
    // Se o cliente já foi embora, o `write_all` devolve `BrokenPipe` (ou
    // `ConnectionReset`). Um programa em C morreria com o sinal SIGPIPE; o Rust
    // ignora esse sinal desde o início, e a falha é só um `Err` desta conversa.
    trancar(escritor).write_all(resposta.as_bytes())
}
// ANCHOR_END: responder

// ANCHOR: encerrar
/// Marca o encerramento e despede todos os clientes conectados, sem ficar à mercê de
/// nenhum.
// ANCHOR: assinatura-encerrar
fn encerrar(registro: &Registro) {
    // ANCHOR_END: assinatura-encerrar
    let conectados = {
        let mut clientes = trancar(registro);
        clientes.encerrando = true;
        std::mem::take(&mut clientes.conectados)
    };
    // Cada despedida espera o cadeado do seu cliente numa thread própria. Uma resposta
    // echo em andamento termina antes do aviso, e um cliente que não lê prende só a
    // thread da despedida dele, não o encerramento.
    let (pronta, despedidas) = mpsc::channel();
    for cliente in conectados.values() {
        let escritor = Arc::clone(&cliente.escritor);
        let pronta = pronta.clone();
        thread::spawn(move || {
            despedir(&trancar(&escritor));
            let _ = pronta.send(());
        });
    }
    // Espera as despedidas, mas só até o prazo.
    let fim = Instant::now() + PRAZO_DESPEDIDA;
    for _ in 0..conectados.len() {
        let resta = fim.saturating_duration_since(Instant::now());
        if despedidas.recv_timeout(resta).is_err() {
            break;
        }
    }
    // Quem não se despediu a tempo é derrubado assim mesmo: o `shutdown` age no
    // socket, e a escrita presa no cliente que não lê acorda com um erro.
    for cliente in conectados.values() {
        let _ = cliente.conexao.shutdown(Shutdown::Both);
    }
}

/// Envia `Servidor encerrando\n` e fecha a conexão, sem nunca esperar pelo cliente.
// ANCHOR: assinatura-despedir
fn despedir(mut conexao: &TcpStream) {
    // ANCHOR_END: assinatura-despedir
    // Sem bloqueio, uma escrita que não cabe no buffer falha na hora em vez de
    // esperar o cliente ler. O aviso é curto e quase sempre cabe. A opção vale para o
    // socket, não só para esta cópia: a leitura da thread do cliente também deixa de
    // esperar, o que não faz mal, porque o `shutdown` logo abaixo encerra a conversa.
    let _ = conexao.set_nonblocking(true);
    let _ = conexao.write_all(AVISO_ENCERRANDO);
    let _ = conexao.shutdown(Shutdown::Both);
}
// ANCHOR_END: encerrar
