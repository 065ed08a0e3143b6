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

// Enquanto os TODO não forem feitos, parte do que está aqui ainda não é usado.
#![allow(unused_imports, unused_variables, dead_code)]

use std::collections::HashMap;
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Quantas linhas podem esperar na fila de um cliente antes de ele ser
/// desconectado por ter ficado para trás.
pub const FILA_MAXIMA: usize = 256;

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
    /// Coloca um cliente na sala, se o apelido estiver livre. O recém-chegado
    /// recebe `Conectado ao servidor!` antes de qualquer outra mensagem da sala.
    pub fn entrar(
        &mut self,
        id: u64,
        apelido: &str,
        fila: SyncSender<String>,
        conexao: TcpStream,
    ) -> Result<(), String> {
        // TODO: se `apelido` já estiver em `self.membros`, devolva
        //       `Err(format!("o apelido {apelido} já está em uso"))`.
        // TODO: coloque "Conectado ao servidor!\n" na fila do recém-chegado
        //       (`fila.try_send(...)`) ANTES de inseri-lo: assim ele recebe esta linha
        //       antes de qualquer outra mensagem da sala.
        // TODO: insira `Membro { id, fila, conexao }` em `self.membros` e difunda
        //       "<apelido> entrou no chat!\n" para os outros (`self.difundir`).
        Ok(())
    }

    /// Coloca `linha` na fila de todos, menos de `remetente`. Nunca bloqueia:
    /// quem está com a fila cheia é desconectado, e os outros são avisados.
    pub fn difundir(&mut self, remetente: Option<&str>, linha: String) {
        // TODO: para cada membro, menos o `remetente`, coloque a linha na fila com
        //       `membro.fila.try_send(linha.clone())`; nunca `send`, que bloquearia
        //       com o cadeado na mão se a fila estivesse cheia.
        // TODO: quem deu `Err` (fila cheia ou desconectado) ficou para trás: remova-o,
        //       derrube a conexão (`membro.conexao.shutdown(Shutdown::Both)`) e avise
        //       os outros que ele saiu.
    }

    /// Tira o cliente da sala e avisa os outros. Não faz nada se ele já saiu
    /// (por exemplo, desconectado por ter ficado para trás).
    pub fn sair(&mut self, id: u64, apelido: &str) {
        // TODO: se o membro com este `apelido` tiver este `id`, remova-o e difunda
        //       "<apelido> saiu do chat!\n" para todos (remetente `None`).
    }
}
