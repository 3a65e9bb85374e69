// Search by title: results as the user types (debounced), Enter or a click picks one.
import type { GraphNodeView } from '../../src/gateway/ports.ts';
import type { Api } from './api.ts';
import { el } from './dom.ts';

export function searchBox(api: Api, pick: (node: GraphNodeView) => void): HTMLElement {
  const input = el('input', { id: 'search' });
  input.type = 'search';
  input.placeholder = 'Search titles…';
  const results = el('ul', { id: 'search-results' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let found: readonly GraphNodeView[] = [];
  const choose = (n: GraphNodeView): void => {
    results.replaceChildren();
    input.value = n.title ?? String(n.id);
    pick(n);
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q === '') {
      results.replaceChildren();
      return;
    }
    timer = setTimeout(() => {
      api.search(q).then(
        (nodes) => {
          found = nodes;
          results.replaceChildren(
            ...nodes.map((n) => {
              const li = el('li', { text: n.title ?? `#${n.id}` }, [el('small', { text: ` ${n.kind}` })]);
              li.addEventListener('click', () => choose(n));
              return li;
            }),
          );
        },
        () => results.replaceChildren(el('li', { text: 'search failed' })),
      );
    }, 150);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && found[0] !== undefined) choose(found[0]);
    if (e.key === 'Escape') results.replaceChildren();
  });
  return el('div', { id: 'search-box' }, [input, results]);
}
