//! A sala do chat: quem está conectado e como uma mensagem chega a todos os outros.
//!
//! Todas as threads de clientes compartilham uma única [`Sala`], atrás de
//! `Arc<Mutex<Sala>>`: o `Arc` deixa várias threads segurarem a mesma sala; o `Mutex`
//! garante que só uma por vez a modifique.
//!
//! Quem segura o cadeado não pode esperar por ninguém: se a difusão escrevesse
//! direto no socket de um cliente que parou de ler, ela ficaria presa ali, com o
//! cadeado na mão, e a sala inteira pararia. Por isso cada cliente tem uma **fila**
//! limitada, esvaziada por uma thread escritora só dele; difundir é só colocar na
//! fila, o que nunca bloqueia. Quem deixa a fila encher ficou para trás demais e é
//! desconectado.

use std::collections::HashMap;
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Quantas linhas podem esperar na fila de um cliente antes de ele ser
/// desconectado por ter ficado para trás.
pub const FILA_MAXIMA: usize = 256;

// ANCHOR: membro
/// Um cliente que já entrou na sala.
struct Membro {
    /// Distingue conexões: quem sai não pode remover um recém-chegado que pegou o
    /// mesmo apelido.
    id: u64,
    /// A fila de linhas que a thread escritora deste cliente envia.
    fila: SyncSender<String>,
    /// Uma cópia do socket, só para derrubar a conexão de quem ficou para trás.
    conexao: TcpStream,
}
// ANCHOR_END: membro

/// A sala compartilhada entre as threads.
pub type SalaCompartilhada = Arc<Mutex<Sala>>;

/// Trava a sala. Se uma thread entrou em pânico com o cadeado na mão, a sala continua
/// utilizável (cada operação a deixa consistente antes de soltar o cadeado).
pub fn trancar(sala: &SalaCompartilhada) -> MutexGuard<'_, Sala> {
    sala.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Default)]
pub struct Sala {
    membros: HashMap<String, Membro>,
}

impl Sala {
    // ANCHOR: entrar
    /// Coloca um cliente na sala, se o apelido estiver livre. O recém-chegado
    /// recebe `Conectado ao servidor!` antes de qualquer outra mensagem da sala.
    pub fn entrar(
        &mut self,
        id: u64,
        apelido: &str,
        fila: SyncSender<String>,
        conexao: TcpStream,
    ) -> Result<(), String> {
        if self.membros.contains_key(apelido) {
            return Err(format!("o apelido {apelido} já está em uso"));
        }
        fila.try_send("Conectado ao servidor!\n".to_owned())
            .map_err(|_| "a conexão não está recebendo".to_owned())?;
        self.membros
            .insert(apelido.to_owned(), Membro { id, fila, conexao });
        self.difundir(Some(apelido), format!("{apelido} entrou no chat!\n"));
        Ok(())
    }
    // ANCHOR_END: entrar

    // ANCHOR: difundir
    /// Coloca `linha` na fila de todos, menos de `remetente`. Nunca bloqueia:
    /// quem está com a fila cheia é desconectado, e os outros são avisados.
    pub fn difundir(&mut self, remetente: Option<&str>, linha: String) {
        let mut avisos = vec![(remetente.map(str::to_owned), linha)];
        while let Some((remetente, linha)) = avisos.pop() {
            let mut atrasados = Vec::new();
            for (apelido, membro) in &self.membros {
                if remetente.as_deref() == Some(apelido.as_str()) {
                    continue;
                }
                // ANCHOR: try-send
                match membro.fila.try_send(linha.clone()) {
                    Ok(()) => {}
                    // Fila cheia: ficou para trás. Desconectada: está saindo.
                    Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                        atrasados.push(apelido.clone());
                    }
                }
                // ANCHOR_END: try-send
            }
            for apelido in atrasados {
                if let Some(membro) = self.membros.remove(&apelido) {
                    // Destrava a thread escritora, presa num `write` que não anda.
                    let _ = membro.conexao.shutdown(Shutdown::Both);
                    avisos.push((None, format!("{apelido} saiu do chat!\n")));
                }
            }
        }
    }
    // ANCHOR_END: difundir

    // ANCHOR: sair
    /// Tira o cliente da sala e avisa os outros. Não faz nada se ele já saiu
    /// (por exemplo, desconectado por ter ficado para trás).
    pub fn sair(&mut self, id: u64, apelido: &str) {
        if self.membros.get(apelido).is_some_and(|m| m.id == id) {
            self.membros.remove(apelido);
            self.difundir(None, format!("{apelido} saiu do chat!\n"));
        }
    }
    // ANCHOR_END: sair
}
