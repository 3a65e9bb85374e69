// The `?` overlay: every key (keyboard.ts) and mouse action, and a link to the viewer's guide.
import { el } from './dom.ts';
import { KEYS, MOUSE } from './keyboard.ts';

export class HelpOverlay {
  readonly root = el('section', { id: 'help', title: '' });

  constructor() {
    this.root.hidden = true;
    this.root.setAttribute('role', 'dialog');
    this.root.setAttribute('aria-label', 'Keys and mouse');
    const close = el('button', { className: 'close', text: '×', title: 'Close (Esc)' });
    close.addEventListener('click', () => this.toggle(false));
    const guide = el('a', { text: 'The viewer guide' });
    guide.href = 'help.html';
    guide.target = '_blank';
    this.root.append(
      close,
      el('h2', { text: 'Keys and mouse' }),
      el(
        'table',
        { className: 'keys' },
        KEYS.map(([, shown, , what]) => el('tr', {}, [el('td', {}, [el('kbd', { text: shown })]), el('td', { text: what })])),
      ),
      el(
        'table',
        { className: 'mouse' },
        MOUSE.map(([how, what]) => el('tr', {}, [el('td', { text: how }), el('td', { text: what })])),
      ),
      el('p', {}, [guide, ': filters, colours, paths, exports and how to load your own notes.']),
    );
    this.root.addEventListener('click', (e) => {
      if (e.target === this.root) this.toggle(false);
    });
  }

  get visible(): boolean {
    return !this.root.hidden;
  }

  toggle(show = !this.visible): void {
    this.root.hidden = !show;
  }
}
