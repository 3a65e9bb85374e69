// JSON graphs: {"nodes": [{"id": 1, "title": "...", "kind": "concept", "metadata": {...}}, ...],
// "edges": [{"source": 1, "target": 2, "weight": 0.5, "id": 7?, "directed": true?}, ...]}. Validated
// with zod; an edge without an id gets one derived from its endpoints and position; an edge without
// `directed` is undirected, as on the wire. Bounded by `maxBytes`.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { normaliseMetadata } from '../graph/model.ts';
import { NODE_KINDS, type NodeKind } from '../graph/topology.ts';
import { edgeIdOf } from './ids.ts';
import { fileSize } from './lines.ts';
import { clip, ImportError, type ImportItem, type ImportProgress, type ImportSource } from './source.ts';

const finite = z.number().refine(Number.isFinite);
const meta = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional();
const schema = z.object({
  nodes: z
    .array(
      z.object({
        id: z.number().int().min(0).max(0xffffffff),
        kind: z.enum(NODE_KINDS as [NodeKind, ...NodeKind[]]).optional(),
        type: z.string().optional(),
        title: z.string().optional(),
        content: z.string().optional(),
        position: z.object({ x: finite, y: finite, z: finite }).optional(),
        metadata: meta,
      }),
    )
    .max(10_000_000),
  edges: z
    .array(
      z.object({
        id: z.union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d{1,16}$/)]).optional(),
        source: z.number().int().min(0).max(0xffffffff),
        target: z.number().int().min(0).max(0xffffffff),
        type: z.string().optional(),
        weight: finite.refine((w) => w >= 0).optional(),
        metadata: meta,
        directed: z.boolean().optional(),
      }),
    )
    .max(50_000_000)
    .default([]),
});

const metadataOf = (m: Record<string, string | number | boolean> | undefined) =>
  normaliseMetadata(Object.entries(m ?? {}).map(([k, v]) => [clip(k, 256), clip(String(v), 65536)] as const)).slice(0, 1024);

export function jsonSource(path: string, maxBytes = 256 * 1024 * 1024): ImportSource {
  return {
    name: `JSON ${path}`,
    async *items(progress: (p: ImportProgress) => void): AsyncIterable<ImportItem> {
      const total = fileSize(path);
      if (total > maxBytes) throw new ImportError(`${path}: ${total} bytes is over the ${maxBytes}-byte limit for JSON imports`);
      let data: unknown;
      try {
        data = JSON.parse(await readFile(path, 'utf8'));
      } catch (error) {
        throw new ImportError(`${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
      }
      const parsed = schema.safeParse(data);
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        throw new ImportError(`${path}: ${i.path.join('.') || '(root)'}: ${i.message}`);
      }
      progress({ done: total / 2, total, unit: 'bytes' });
      for (const n of parsed.data.nodes) {
        yield {
          node: {
            id: n.id,
            ...(n.kind === undefined ? {} : { kind: n.kind }),
            ...(n.type === undefined ? {} : { type: clip(n.type, 256) }),
            ...(n.title === undefined ? {} : { title: clip(n.title, 1024) }),
            ...(n.content === undefined ? {} : { content: clip(n.content, 1_048_576) }),
            ...(n.position === undefined ? {} : { position: n.position }),
            metadata: metadataOf(n.metadata),
          },
        };
      }
      let index = 0;
      for (const e of parsed.data.edges) {
        const id = e.id === undefined ? edgeIdOf('json', e.source, e.target, index) : BigInt(e.id);
        index++;
        yield {
          edge: {
            id,
            source: e.source,
            target: e.target,
            ...(e.type === undefined ? {} : { type: clip(e.type, 256) }),
            ...(e.weight === undefined ? {} : { weight: e.weight }),
            ...(e.directed === true ? { directed: true } : {}),
            metadata: metadataOf(e.metadata),
          },
        };
      }
      progress({ done: total, total, unit: 'bytes' });
    },
  };
}
