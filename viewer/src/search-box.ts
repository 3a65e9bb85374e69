// Search by title: results as the user types (debounced), Enter or a click picks one; each result
// also sets a path's start or end in one click. The hits are labelled on the canvas while listed.
import type { GraphNodeView } from '../../src/gateway/ports.ts';
import type { Api } from './api.ts';
import { el } from './dom.ts';

export interface SearchActions {
  pick(node: GraphNodeView): void;
  start(node: GraphNodeView): void;
  end(node: GraphNodeView): void;
  /** The ids listed now (none once cleared). */
  hits(ids: readonly number[]): void;
}

export function searchBox(api: Api, actions: SearchActions): HTMLElement {
  const input = el('input', { id: 'search', title: 'Search titles (/)' });
  input.type = 'search';
  input.placeholder = 'Search titles…  ( / )';
  const results = el('ul', { id: 'search-results' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let found: readonly GraphNodeView[] = [];
  const clear = (): void => {
    found = [];
    results.replaceChildren();
    actions.hits([]);
  };
  const choose = (n: GraphNodeView, then: (n: GraphNodeView) => void): void => {
    clear();
    input.value = n.title ?? String(n.id);
    then(n);
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q === '') return clear();
    timer = setTimeout(() => {
      api.search(q).then(
        (nodes) => {
          found = nodes;
          actions.hits(nodes.map((n) => n.id));
          results.replaceChildren(
            ...nodes.map((n) => {
              const button = (text: string, title: string, then: (n: GraphNodeView) => void): HTMLButtonElement => {
                const b = el('button', { className: 'path-end', text, title });
                b.addEventListener('click', (e) => {
                  e.stopPropagation();
                  choose(n, then);
                });
                return b;
              };
              const li = el('li', {}, [
                el('span', { className: 'hit', text: n.title ?? `#${n.id}` }),
                el('small', { text: ` ${n.type ?? n.kind}` }),
                button('start', 'Paths start here', actions.start),
                button('end', 'The path ends here', actions.end),
              ]);
              li.dataset.id = String(n.id);
              li.addEventListener('click', () => choose(n, actions.pick));
              return li;
            }),
          );
        },
        () => results.replaceChildren(el('li', { text: 'search failed' })),
      );
    }, 150);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && found[0] !== undefined) choose(found[0], actions.pick);
    if (e.key === 'Escape') {
      clear();
      input.blur();
    }
  });
  return el('div', { id: 'search-box' }, [input, results]);
}
