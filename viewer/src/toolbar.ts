// The buttons beside the search box: exports of the view and of the visible subgraph, and help.
import { el } from './dom.ts';

export interface ToolbarActions {
  png(): void;
  graphml(): void;
  gexf(): void;
  help(): void;
}

export function toolbar(actions: ToolbarActions): HTMLElement {
  const button = (id: string, text: string, title: string, act: () => void): HTMLButtonElement => {
    const b = el('button', { id, text, title });
    b.addEventListener('click', act);
    return b;
  };
  return el('div', { id: 'toolbar' }, [
    el('span', { className: 'caption', text: 'Export' }),
    button('export-png', 'PNG', 'The view as an image (P)', actions.png),
    button('export-graphml', 'GraphML', 'The visible nodes and links, for Gephi or yEd', actions.graphml),
    button('export-gexf', 'GEXF', 'The visible nodes and links, for Gephi', actions.gexf),
    button('help-button', '?', 'Keys and mouse (?)', actions.help),
  ]);
}
