// Exports of what the viewer shows: a PNG of the view (the canvas with its labels drawn in), and the
// visible subgraph (the drawn nodes, with their titles, types, positions, colours and degrees, and
// the drawn edges) as GraphML or GEXF 1.3 with viz attributes, the formats Gephi and yEd open.
// Titles come from the graph: escaped, and characters XML 1.0 cannot carry are dropped.
import { rgbToHex, type Rgb } from './colours.ts';

export interface ExportNode {
  readonly id: number;
  readonly label: string;
  readonly type: string;
  readonly kind: string;
  readonly position: readonly [number, number, number];
  readonly colour: Rgb;
  readonly degree: number;
}

export interface ExportGraph {
  readonly nodes: readonly ExportNode[];
  /** Node id pairs. */
  readonly edges: readonly (readonly [number, number])[];
}

export interface LabelBox {
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly opacity: number;
  readonly always: boolean;
}

/** Characters XML 1.0 cannot carry (most C0 controls, lone surrogates, U+FFFE and U+FFFF). */
function xmlChar(c: string): boolean {
  const n = c.codePointAt(0)!;
  return n === 0x9 || n === 0xa || n === 0xd || (n >= 0x20 && n <= 0xd7ff) || (n >= 0xe000 && n <= 0xfffd) || n >= 0x10000;
}

export function xmlText(s: string): string {
  return [...s]
    .filter(xmlChar)
    .join('')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const num = (n: number): string => (Number.isFinite(n) ? String(Math.round(n * 1000) / 1000) : '0');

export function toGraphML(g: ExportGraph): string {
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
    '  <key id="label" for="node" attr.name="label" attr.type="string"/>',
    '  <key id="type" for="node" attr.name="type" attr.type="string"/>',
    '  <key id="kind" for="node" attr.name="kind" attr.type="string"/>',
    '  <key id="x" for="node" attr.name="x" attr.type="double"/>',
    '  <key id="y" for="node" attr.name="y" attr.type="double"/>',
    '  <key id="z" for="node" attr.name="z" attr.type="double"/>',
    '  <key id="color" for="node" attr.name="color" attr.type="string"/>',
    '  <key id="degree" for="node" attr.name="degree" attr.type="int"/>',
    '  <graph id="visionflow" edgedefault="undirected">',
  ];
  for (const n of g.nodes) {
    out.push(
      `    <node id="n${n.id}"><data key="label">${xmlText(n.label)}</data><data key="type">${xmlText(n.type)}</data><data key="kind">${xmlText(n.kind)}</data>` +
        `<data key="x">${num(n.position[0])}</data><data key="y">${num(n.position[1])}</data><data key="z">${num(n.position[2])}</data>` +
        `<data key="color">${rgbToHex(n.colour)}</data><data key="degree">${n.degree}</data></node>`,
    );
  }
  g.edges.forEach(([s, t], i) => out.push(`    <edge id="e${i}" source="n${s}" target="n${t}"/>`));
  out.push('  </graph>', '</graphml>', '');
  return out.join('\n');
}

export function toGexf(g: ExportGraph): string {
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<gexf xmlns="http://gexf.net/1.3" xmlns:viz="http://gexf.net/1.3/viz" version="1.3">',
    '  <meta><creator>VisionFlow</creator><description>The subgraph drawn in the viewer</description></meta>',
    '  <graph defaultedgetype="undirected" mode="static">',
    '    <attributes class="node">',
    '      <attribute id="type" title="type" type="string"/>',
    '      <attribute id="kind" title="kind" type="string"/>',
    '      <attribute id="degree" title="degree" type="integer"/>',
    '    </attributes>',
    '    <nodes>',
  ];
  for (const n of g.nodes) {
    const [r, gr, b] = n.colour.map((c) => Math.round(Math.max(0, Math.min(1, c)) * 255));
    out.push(
      `      <node id="${n.id}" label="${xmlText(n.label)}"><attvalues><attvalue for="type" value="${xmlText(n.type)}"/><attvalue for="kind" value="${xmlText(n.kind)}"/>` +
        `<attvalue for="degree" value="${n.degree}"/></attvalues><viz:color r="${r}" g="${gr}" b="${b}"/>` +
        `<viz:position x="${num(n.position[0])}" y="${num(n.position[1])}" z="${num(n.position[2])}"/></node>`,
    );
  }
  out.push('    </nodes>', '    <edges>');
  g.edges.forEach(([s, t], i) => out.push(`      <edge id="${i}" source="${s}" target="${t}"/>`));
  out.push('    </edges>', '  </graph>', '</gexf>', '');
  return out.join('\n');
}

/** Hands the data to the browser as a file download. */
export function download(name: string, data: Blob | string, type = 'application/xml'): void {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The view as a PNG: the WebGL canvas (read in the frame it was drawn, before the browser clears
 * it) with the labels drawn over it where they stand on screen.
 */
export function viewPng(canvas: HTMLCanvasElement, labels: readonly LabelBox[]): Promise<Blob> {
  const out = document.createElement('canvas');
  out.width = canvas.width;
  out.height = canvas.height;
  const g = out.getContext('2d');
  if (g === null) return Promise.reject(new Error('no 2D canvas'));
  g.drawImage(canvas, 0, 0);
  const scale = canvas.width / Math.max(1, canvas.clientWidth);
  g.scale(scale, scale);
  g.textBaseline = 'middle';
  for (const l of labels) {
    g.globalAlpha = l.opacity;
    g.fillStyle = l.always ? 'rgba(79, 195, 247, 0.35)' : 'rgba(15, 20, 25, 0.65)';
    g.fillRect(l.x, l.y, l.w, l.h);
    g.fillStyle = l.always ? '#ffffff' : '#e3e8ec';
    g.font = `${l.always ? '600 ' : ''}11px system-ui, sans-serif`;
    g.save();
    g.beginPath();
    g.rect(l.x, l.y, l.w, l.h);
    g.clip();
    g.fillText(l.text, l.x + 5, l.y + l.h / 2);
    g.restore();
  }
  return new Promise((resolve, reject) =>
    out.toBlob((b) => (b === null ? reject(new Error('the PNG could not be made')) : resolve(b)), 'image/png'),
  );
}
