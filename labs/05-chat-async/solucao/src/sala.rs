//! A sala do chat: quem está conectado e como uma mensagem chega a todos os outros.
//!
//! Todas as tarefas de clientes compartilham uma única [`Sala`], atrás de
//! `Arc<Mutex<Sala>>`, como no laboratório 03. O `Mutex` é o da biblioteca padrão,
//! não o do tokio, e isso é de propósito: os métodos da sala não esperam por nada
//! (não há um `.await` neles), então o cadeado fica na mão por microssegundos e
//! nunca atravessa um `.await` (veja [`trancar`]).
//!
//! A difusão não escreve em socket nenhum: coloca a linha na **fila** limitada de
//! cada cliente com `try_send`, que nunca espera, e uma tarefa escritora por cliente
//! esvazia a fila no socket dele. Uma fila cheia, porém, ainda não prova que o
//! cliente parou de ler: com mil tarefas prontas para rodar, a escritora dele pode
//! só não ter tido a vez. Por isso a linha que não coube volta como um
//! [`Pendente`], e quem difundiu a entrega com [`entregar`], já sem o cadeado,
//! esperando no máximo [`PACIENCIA`]. Quem nem assim abre espaço ficou para trás
//! e é desconectado.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc::Sender;
use tokio::sync::mpsc::error::TrySendError;
use tokio::task::AbortHandle;
use tokio::time::{Instant, timeout_at};

/// Quantas linhas podem esperar na fila de um cliente.
pub const FILA_MAXIMA: usize = 256;

/// Quanto quem difunde espera, sem o cadeado, por uma fila cheia antes de
/// desconectar o dono dela.
pub const PACIENCIA: Duration = Duration::from_secs(1);

// ANCHOR: membro
/// Um cliente que já entrou na sala.
struct Membro {
    /// Distingue conexões: quem sai não pode remover um recém-chegado que pegou o
    /// mesmo apelido.
    id: u64,
    /// A fila de linhas que a tarefa escritora deste cliente envia. `Arc<str>`:
    /// uma linha difundida para mil clientes é guardada uma vez só, e cada fila
    /// leva um ponteiro para ela.
    fila: Sender<Arc<str>>,
    /// Para derrubar a tarefa escritora de quem ficou para trás, presa num
    /// `write_all` que não anda (o `shutdown` do laboratório 03).
    escritora: AbortHandle,
}
// ANCHOR_END: membro

// ANCHOR: pendente
/// Uma linha que não coube na fila de um membro. Quem a recebe de volta deve
/// chamar [`entregar`] depois de soltar o cadeado.
#[must_use = "uma linha pendente que ninguém entrega nunca chega: passe-a para `entregar`"]
pub struct Pendente {
    id: u64,
    apelido: String,
    fila: Sender<Arc<str>>,
    linha: Arc<str>,
}
// ANCHOR_END: pendente

/// A sala compartilhada entre as tarefas.
pub type SalaCompartilhada = Arc<Mutex<Sala>>;

// ANCHOR: trancar
/// Trava a sala. Se uma tarefa entrou em pânico com o cadeado na mão, a sala continua
/// utilizável (cada operação a deixa consistente antes de soltar o cadeado).
///
/// Use sempre numa instrução só (`let pendentes = trancar(&sala).difundir(...);`),
/// sem `.await` no meio. Se o guarda atravessasse um `.await`, a tarefa dormiria com
/// a sala trancada; outra tarefa, na mesma thread do runtime, chamaria `lock()`, e
/// esse `lock()` bloqueia a **thread** (não é um `.await`, não devolve a vez): a
/// tarefa que tem o cadeado nunca mais seria retomada ali para soltá-lo. O
/// compilador ajuda: o guarda não é `Send`, e `tokio::spawn` recusa uma tarefa que o
/// guarde através de um `.await`.
pub fn trancar(sala: &SalaCompartilhada) -> MutexGuard<'_, Sala> {
    sala.lock().unwrap_or_else(PoisonError::into_inner)
}
// ANCHOR_END: trancar

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
        fila: Sender<Arc<str>>,
        escritora: AbortHandle,
    ) -> Result<Vec<Pendente>, String> {
        if self.membros.contains_key(apelido) {
            return Err(format!("o apelido {apelido} já está em uso"));
        }
        fila.try_send(Arc::from("Conectado ao servidor!\n"))
            .map_err(|_| "a conexão não está recebendo".to_owned())?;
        self.membros.insert(
            apelido.to_owned(),
            Membro {
                id,
                fila,
                escritora,
            },
        );
        Ok(self.difundir(Some(apelido), format!("{apelido} entrou no chat!\n")))
    }
    // ANCHOR_END: entrar

    // ANCHOR: sair
    /// Tira o cliente da sala e avisa os outros. Não faz nada se ele já saiu
    /// (por exemplo, desconectado por ter ficado para trás).
    #[must_use]
    pub fn sair(&mut self, id: u64, apelido: &str) -> Vec<Pendente> {
        if self.membros.get(apelido).is_some_and(|m| m.id == id) {
            self.membros.remove(apelido);
            return self.difundir(None, format!("{apelido} saiu do chat!\n"));
        }
        Vec::new()
    }
    // ANCHOR_END: sair

    // ANCHOR: expulsar
    /// Desconecta quem ficou para trás: tira da sala, derruba a escritora e avisa
    /// os outros. Não faz nada se ele já saiu (o `id` diz se ainda é a mesma conexão).
    #[must_use]
    fn expulsar(&mut self, id: u64, apelido: &str) -> Vec<Pendente> {
        if self.membros.get(apelido).is_some_and(|m| m.id == id) {
            self.derrubar(apelido);
            return self.difundir(None, format!("{apelido} saiu do chat!\n"));
        }
        Vec::new()
    }

    /// Tira o membro da sala e cancela a escritora dele.
    fn derrubar(&mut self, apelido: &str) {
        if let Some(membro) = self.membros.remove(apelido) {
            // A escritora pode estar presa num `write_all` para quem não lê: `abort`
            // a cancela nesse `.await`. Ao morrer, ela larga a fila e a metade de
            // escrita do socket, e a tarefa leitora, que espera `fila.closed()`,
            // percebe e termina também.
            membro.escritora.abort();
        }
    }
    // ANCHOR_END: expulsar

    // ANCHOR: difundir
    /// Coloca `linha` na fila de todos, menos de `remetente`. Nunca espera: é uma
    /// função comum, sem `.await`, chamada com o cadeado na mão. Devolve as linhas
    /// que não couberam, para [`entregar`].
    #[must_use]
    pub fn difundir(&mut self, remetente: Option<&str>, linha: String) -> Vec<Pendente> {
        let mut pendentes = Vec::new();
        let mut avisos: Vec<(Option<String>, Arc<str>)> =
            vec![(remetente.map(str::to_owned), Arc::from(linha))];
        while let Some((remetente, linha)) = avisos.pop() {
            let mut fechados = Vec::new();
            for (apelido, membro) in &self.membros {
                if remetente.as_deref() == Some(apelido.as_str()) {
                    continue;
                }
                // `Arc::clone` copia um ponteiro e soma um no contador; a linha em
                // si não é copiada para cada fila.
                // ANCHOR: try-send
                match membro.fila.try_send(Arc::clone(&linha)) {
                    Ok(()) => {}
                    // Cheia: pode ser só uma escritora que ainda não teve a vez.
                    Err(TrySendError::Full(linha)) => pendentes.push(Pendente {
                        id: membro.id,
                        apelido: apelido.clone(),
                        fila: membro.fila.clone(),
                        linha,
                    }),
                    // Fechada: a escritora já terminou, o cliente está indo embora.
                    Err(TrySendError::Closed(_)) => fechados.push(apelido.clone()),
                }
                // ANCHOR_END: try-send
            }
            // Remover só depois do `for`: o mapa não pode mudar enquanto é percorrido.
            // O aviso de saída vai para a lista, e o `while` o difunde também.
            for apelido in fechados {
                self.derrubar(&apelido);
                avisos.push((None, Arc::from(format!("{apelido} saiu do chat!\n"))));
            }
        }
        pendentes
    }
    // ANCHOR_END: difundir
}

// ANCHOR: entregar
/// Entrega as linhas que não couberam, **sem** o cadeado: cada uma espera vaga na
/// fila do seu membro, até [`PACIENCIA`] no total. Enquanto esperamos aqui, a
/// escritora dele tem a vez de rodar e esvaziar a fila. Quem não abriu espaço até o
/// prazo ficou para trás de verdade e é expulso; os avisos de saída podem, por sua
/// vez, encontrar outras filas cheias, e o laço continua até não sobrar nada.
pub async fn entregar(sala: &SalaCompartilhada, mut pendentes: Vec<Pendente>) {
    while !pendentes.is_empty() {
        let prazo = Instant::now() + PACIENCIA;
        let mut atrasados = Vec::new();
        for pendente in pendentes.drain(..) {
            // `send` espera vaga na fila; `timeout_at` desiste no prazo.
            match timeout_at(prazo, pendente.fila.send(pendente.linha)).await {
                Ok(Ok(())) => {}
                // Fila fechada (escritora terminou) ou prazo esgotado.
                Ok(Err(_)) | Err(_) => atrasados.push((pendente.id, pendente.apelido)),
            }
        }
        // O cadeado de novo, só para expulsar; o guarda morre no fim do bloco,
        // antes da próxima volta (e do próximo `.await`).
        let mut trancada = trancar(sala);
        for (id, apelido) in atrasados {
            pendentes.extend(trancada.expulsar(id, &apelido));
        }
    }
}
// ANCHOR_END: entregar
