// The legend of whatever colouring is on: a swatch, a label and a count per colour, a ramp's two
// ends in words, the highlights (selected, the path) and what dimmed nodes mean. Redrawn only when
// what it says changes. Labels come from the graph: text only.
import { rgbToHex } from './colours.ts';
import type { Legend } from './colouring.ts';
import { el } from './dom.ts';

export class LegendView {
  readonly root = el('section', { id: 'legend' });
  private shown: Legend | undefined;
  private shownExtra = '';

  constructor() {
    this.root.hidden = true;
  }

  /** Once per frame: redraws only for another legend (colourings are made anew when they change). */
  show(legend: Legend | undefined, extra: readonly string[] = []): void {
    const extraKey = extra.join('\n');
    if (legend === this.shown && extraKey === this.shownExtra) return;
    this.shown = legend;
    this.shownExtra = extraKey;
    this.root.hidden = legend === undefined;
    if (legend === undefined) return;
    const rows = legend.entries.map((e) =>
      el('li', {}, [
        el('span', { className: 'swatch', title: rgbToHex(e.colour) }),
        el('span', { className: 'what', text: e.label }),
        el('span', { className: 'count', text: e.count.toLocaleString('en') }),
      ]),
    );
    legend.entries.forEach((e, i) => ((rows[i]!.firstChild as HTMLElement).style.background = rgbToHex(e.colour)));
    const ramp =
      legend.ramp === undefined
        ? []
        : [
            el('p', { className: 'ramp' }, [
              el('span', { text: legend.ramp.low }),
              el('span', { className: 'bar' }),
              el('span', { text: legend.ramp.high }),
            ]),
          ];
    this.root.dataset.title = legend.title;
    this.root.replaceChildren(
      el('h3', { text: `Colour: ${legend.title}` }),
      ...ramp,
      el('ul', {}, rows),
      ...(legend.note === undefined ? [] : [el('p', { className: 'note', text: legend.note })]),
      ...extra.map((t) => el('p', { className: 'note', text: t })),
    );
  }
}
