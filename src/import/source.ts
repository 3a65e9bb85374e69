// What an importer produces: a stream of graph ops (nodes before the edges that need them), with
// progress in bytes or items, and warnings for what it skipped. Importers never throw on bad
// input: a malformed line or file becomes a warning (or, when nothing usable is left, an
// ImportError naming the file and line).
import type { Metadata } from '../graph/model.ts';
import type { NodeKind, Vec3 } from '../graph/topology.ts';

export interface ImportNode {
  readonly id: number;
  readonly kind?: NodeKind;
  readonly type?: string;
  readonly title?: string;
  readonly content?: string;
  readonly position?: Vec3;
  readonly metadata?: Metadata;
}

export interface ImportEdge {
  readonly id: bigint;
  readonly source: number;
  readonly target: number;
  readonly type?: string;
  readonly weight?: number;
  readonly metadata?: Metadata;
  /** True: from source to target only (shortest paths follow it one way); absent: either way. */
  readonly directed?: boolean;
}

export type ImportItem = { readonly node: ImportNode } | { readonly edge: ImportEdge };

export interface ImportProgress {
  readonly done: number;
  readonly total: number;
  readonly unit: 'bytes' | 'files';
}

export interface ImportSource {
  readonly name: string;
  /** Items in dependency order; `progress` is called as input is consumed. */
  items(progress: (p: ImportProgress) => void, warn: (message: string) => void): AsyncIterable<ImportItem>;
}

export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

/** Cuts a string to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function clip(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let s = Buffer.from(text).subarray(0, maxBytes).toString('utf8');
  if (s.endsWith('\uFFFD')) s = s.slice(0, -1);
  return s;
}
