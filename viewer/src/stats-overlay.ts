// The stats overlay: frames per second, nodes, edges, frame lag (time since the last position
// frame, and the server's frame interval), kB/s received, and the connection state.
import { el } from './dom.ts';

export interface StatsSample {
  readonly nodes: number;
  readonly edges: number;
  readonly bytesReceived: number;
  readonly msSinceFrame: number;
  readonly frameIntervalMs: number;
  readonly mode: string;
}

export class StatsOverlay {
  private readonly box = el('div', { id: 'stats' });
  private readonly state = el('div', { id: 'connection', className: 'state connecting', text: 'connecting' });
  private frames = 0;
  private windowStart = performance.now();
  private bytesAtStart = 0;
  fps = 0;
  kbps = 0;

  constructor(parent: HTMLElement) {
    parent.append(this.state, this.box);
  }

  setConnection(state: string, detail: string): void {
    this.state.className = `state ${state}`;
    this.state.textContent = detail === '' ? state : `${state}: ${detail}`;
    this.state.dataset.state = state;
  }

  /** Called once per rendered frame. */
  tick(now: number, sample: StatsSample): void {
    this.frames++;
    const elapsed = now - this.windowStart;
    if (elapsed < 500) return;
    this.fps = (this.frames * 1000) / elapsed;
    this.kbps = (sample.bytesReceived - this.bytesAtStart) / elapsed;
    this.frames = 0;
    this.windowStart = now;
    this.bytesAtStart = sample.bytesReceived;
    // Over a second without a frame: the layout has settled (the server sends nothing new).
    const lag = !Number.isFinite(sample.msSinceFrame)
      ? '-'
      : sample.msSinceFrame > 1_000
        ? 'idle'
        : `${Math.round(sample.msSinceFrame)} ms`;
    this.box.textContent =
      `${this.fps.toFixed(0)} FPS · ${sample.nodes.toLocaleString()} nodes · ${sample.edges.toLocaleString()} edges · ` +
      `lag ${lag} (every ${sample.frameIntervalMs.toFixed(0)} ms) · ${this.kbps.toFixed(1)} kB/s · ${sample.mode}`;
    this.box.dataset.fps = this.fps.toFixed(1);
    this.box.dataset.nodes = String(sample.nodes);
    this.box.dataset.edges = String(sample.edges);
  }
}
