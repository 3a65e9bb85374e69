// What clients may ask of the graph, validated with zod: every field bounded as the wire schema
// bounds it (UTF-8 bytes, not characters), ids in range, floats finite and representable as f32.
// Parsing never throws; `parseCommand` returns the issues as one readable message.
import { z } from 'zod';
import { isValidHlc, type Hlc } from '../crdt/hlc.ts';
import { MAX_EDGE_ID, MAX_NODE_ID, type EdgeValue, type Metadata, type NodeValue } from './model.ts';
import { NODE_KINDS, type NodeKind, type Vec3 } from './topology.ts';

const F32_MAX = 3.4028234663852886e38;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const text = (maxBytes: number) =>
  z
    .string()
    .refine((s) => Buffer.byteLength(s, 'utf8') <= maxBytes, { message: `longer than ${maxBytes} UTF-8 bytes` })
    .refine((s) => !LONE_SURROGATE.test(s), { message: 'not well-formed UTF-16 (lone surrogate)' });

const float32 = z.number().refine((x) => Number.isFinite(x) && Math.abs(x) <= F32_MAX, { message: 'not a finite 32-bit float' });
const nodeId = z.number().int().min(0).max(MAX_NODE_ID);
const edgeId = z
  .union([z.bigint(), z.number().int(), z.string().regex(/^\d{1,16}$/)])
  .transform((v) => BigInt(v))
  .refine((v) => v >= 0n && v <= MAX_EDGE_ID, { message: `edge id must be in [0, 2^53)` });
const vec3 = z.object({ x: float32, y: float32, z: float32 });
const kind = z.enum(NODE_KINDS as [NodeKind, ...NodeKind[]]);
const metadata = z
  .union([z.array(z.tuple([text(256), text(65536)])).max(1024), z.record(text(256), text(65536))])
  .transform((m): [string, string][] => (Array.isArray(m) ? m : Object.entries(m)))
  .refine((m) => m.length <= 1024, { message: 'more than 1024 metadata entries' });
const hlc = z
  .object({ wallMs: z.number(), logical: z.number(), node: z.number() })
  .refine((h) => isValidHlc(h), { message: 'not a valid HLC stamp' });

const nodeInput = z.object({
  id: nodeId,
  kind: kind.default('knowledge'),
  type: text(256).optional(),
  title: text(1024).optional(),
  content: text(1_048_576).optional(),
  position: vec3.optional(),
  metadata: metadata.optional(),
});

const edgeInput = z.object({
  id: edgeId,
  source: nodeId,
  target: nodeId,
  type: text(256).optional(),
  weight: float32.refine((w) => w >= 0, { message: 'weight must be non-negative' }).default(1),
  metadata: metadata.optional(),
  /** Absent or false: undirected, as on the wire; preprocessing keeps only true (EdgeValue.directed). */
  directed: z.boolean().optional(),
});

// A patch changes only the fields it names: `partial()` keeps a field's default, so the kind's
// default is taken off first, or every patch would turn its node into a knowledge node.
const nodePatch = nodeInput.omit({ id: true, kind: true }).partial().extend({ kind: kind.optional() });

const stamp = { stamp: hlc.optional() };

const opSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('add-node'), node: nodeInput, upsert: z.boolean().optional(), ...stamp }),
  z.object({ op: z.literal('update-node'), id: nodeId, patch: nodePatch, ...stamp }),
  z.object({ op: z.literal('move-node'), id: nodeId, position: vec3, ...stamp }),
  z.object({ op: z.literal('remove-node'), id: nodeId, ...stamp }),
  z.object({ op: z.literal('add-edge'), edge: edgeInput, upsert: z.boolean().optional(), ...stamp }),
  z.object({ op: z.literal('remove-edge'), id: edgeId, ...stamp }),
  z.object({
    op: z.literal('set-edge-weight'),
    id: edgeId,
    weight: float32.refine((w) => w >= 0, { message: 'weight must be non-negative' }),
    ...stamp,
  }),
]);

export const MAX_BATCH = 100_000;

const commandSchema = z.union([opSchema, z.object({ op: z.literal('batch'), ops: z.array(opSchema).min(1).max(MAX_BATCH) })]);

export interface NodePatch {
  readonly kind?: NodeKind;
  readonly type?: string;
  readonly title?: string;
  readonly content?: string;
  readonly position?: Vec3;
  readonly metadata?: Metadata;
}

/** One change. `stamp` is the client's HLC for an optimistic update; the server stamps otherwise. */
export type GraphOp =
  | { readonly op: 'add-node'; readonly node: NodeValue; readonly upsert?: boolean; readonly stamp?: Hlc }
  | { readonly op: 'update-node'; readonly id: number; readonly patch: NodePatch; readonly stamp?: Hlc }
  | { readonly op: 'move-node'; readonly id: number; readonly position: Vec3; readonly stamp?: Hlc }
  | { readonly op: 'remove-node'; readonly id: number; readonly stamp?: Hlc }
  | { readonly op: 'add-edge'; readonly edge: EdgeValue; readonly upsert?: boolean; readonly stamp?: Hlc }
  | { readonly op: 'remove-edge'; readonly id: bigint; readonly stamp?: Hlc }
  | { readonly op: 'set-edge-weight'; readonly id: bigint; readonly weight: number; readonly stamp?: Hlc };

/** Applied in order and as one unit: all of it is committed, or none. */
export type GraphCommand = GraphOp | { readonly op: 'batch'; readonly ops: readonly GraphOp[] };

export type ParseResult = { readonly ok: true; readonly command: GraphCommand } | { readonly ok: false; readonly error: string };

/** Validates untrusted input (JSON from a client, an importer's record). */
export function parseCommand(input: unknown): ParseResult {
  const r = commandSchema.safeParse(input);
  if (!r.success) {
    const first = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return { ok: false, error: first.join('; ') };
  }
  return { ok: true, command: r.data as GraphCommand };
}

export function opsOf(command: GraphCommand): readonly GraphOp[] {
  return command.op === 'batch' ? command.ops : [command];
}
