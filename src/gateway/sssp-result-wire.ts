// A shortest-path result on its way to clients: the wire's parallel vectors as typed arrays, and
// the envelope shared by every receiver (each gets a head stamped with its own seq; see
// protocol/envelope/sssp-result-envelope.ts). The vectors are usually views into that envelope,
// gathered straight into it; otherwise it is written from them on first use.
import { ssspResultEnvelope, type SsspResultArrays, type SsspResultEnvelopeDraft } from '../protocol/envelope/sssp-result-envelope.ts';

export class SsspResultWire implements SsspResultArrays {
  private encoded: Uint8Array | undefined;

  /** `envelope`: these very vectors' envelope, when they were gathered into one (the SSSP worker does). */
  constructor(
    readonly source: number,
    readonly nodes: Uint32Array,
    readonly distances: Float32Array,
    readonly parents: Uint32Array,
    readonly complete: boolean,
    envelope?: Uint8Array,
  ) {
    this.encoded = envelope;
  }

  /** The result whose vectors were gathered straight into `draft`, its envelope. */
  static fromDraft(source: number, complete: boolean, draft: SsspResultEnvelopeDraft): SsspResultWire {
    return new SsspResultWire(source, draft.nodes, draft.distances, draft.parents, complete, draft.bytes);
  }

  /** No node reached (the payload of an answer that is an error). */
  static empty(source: number): SsspResultWire {
    return new SsspResultWire(source, new Uint32Array(0), new Float32Array(0), new Uint32Array(0), true);
  }

  get size(): number {
    return this.nodes.length;
  }

  /** The envelope with seq and correlation id 0: made once, then copied per receiver. */
  template(): Uint8Array {
    return (this.encoded ??= ssspResultEnvelope(this));
  }
}
