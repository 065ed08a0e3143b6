// Desenha os diagramas do livro: cada bloco ```mermaid vira, no xtask/book, um
// <pre class="mermaid"> com o texto do diagrama, e este script o troca por um SVG.
//
// Escrito para a apostila (não é o mermaid-init.js do mdbook-mermaid): em vez de
// recarregar a página quando o leitor troca de tema, redesenha os diagramas com as
// cores do tema novo, e um erro de desenho aparece no console (o teste do navegador
// falha com ele).
(() => {
    // Os temas escuros do mdBook; neles o diagrama usa o tema 'dark' do mermaid,
    // de texto claro, senão o texto preto sumiria no fundo azul-marinho do navy.
    const temasEscuros = ['navy', 'coal', 'ayu'];
    const raiz = document.documentElement;
    const escuro = () => temasEscuros.some((tema) => raiz.classList.contains(tema));

    const blocos = Array.from(document.querySelectorAll('pre.mermaid'));
    if (blocos.length === 0) {
        return;
    }
    // O texto original de cada diagrama: o mermaid o substitui pelo SVG, e redesenhar
    // num tema novo precisa dele de volta.
    const fontes = blocos.map((bloco) => bloco.textContent);

    let desenhadoEscuro = null;
    let fila = Promise.resolve();

    function desenhar() {
        const agoraEscuro = escuro();
        if (agoraEscuro === desenhadoEscuro) {
            return fila;
        }
        desenhadoEscuro = agoraEscuro;
        // Um desenho por vez: trocar de tema duas vezes depressa não mistura SVGs.
        fila = fila.then(async () => {
            // O mermaid mede cada texto para desenhar as caixas: a fonte do livro
            // (Open Sans, que o mdBook traz junto, sem internet) precisa já ter
            // carregado, senão as caixas saem do tamanho de outra fonte.
            await document.fonts.ready;
            mermaid.initialize({
                startOnLoad: false,
                securityLevel: 'strict',
                theme: agoraEscuro ? 'dark' : 'default',
                // A mesma fonte do texto; sem isso, o diagrama herdaria a fonte
                // monoespaçada do <pre> em que ele mora.
                fontFamily: '"Open Sans", sans-serif',
            });
            blocos.forEach((bloco, i) => {
                bloco.removeAttribute('data-processed');
                bloco.textContent = fontes[i];
            });
            // Um por vez: um diagrama com erro não impede os outros, e o aviso diz
            // qual é (o n-ésimo da página) e por quê, num texto que o console guarda.
            for (const [i, bloco] of blocos.entries()) {
                try {
                    await mermaid.run({ nodes: [bloco] });
                } catch (erro) {
                    const motivo = erro && erro.message ? erro.message : String(erro);
                    console.error(`Diagrama ${i + 1} desta página com erro: ${motivo}`);
                }
            }
        });
        return fila;
    }

    desenhar();
    // O mdBook troca o tema mudando a classe do <html>: redesenha só quando muda
    // entre claro e escuro.
    new MutationObserver(desenhar).observe(raiz, {
        attributes: true,
        attributeFilter: ['class'],
    });
})();
