// A JSON MessageCodec for the loopback transport. Refs inside a message travel as {"$ref": path}
// (the qualified path from the sending system's RefResolver) and come back as refs on the far
// side; a path the receiver cannot reach stays a plain {"$ref": path} object.
import type { MessageCodec } from '../../src/runtime/loopback-transport.ts';
import type { Ref } from '../../src/runtime/ref.ts';
import type { RefResolver } from '../../src/runtime/transport.ts';

function isRef(value: unknown): value is Ref<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { path?: unknown; tell?: unknown };
  return typeof v.path === 'string' && typeof v.tell === 'function';
}

function isRefToken(value: unknown): value is { $ref: string } {
  if (typeof value !== 'object' || value === null) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === '$ref' && typeof (value as { $ref: unknown }).$ref === 'string';
}

export const jsonCodec: MessageCodec = {
  encode(message: unknown, refs: RefResolver): Uint8Array {
    const text = JSON.stringify(message, (_key, value: unknown) => (isRef(value) ? { $ref: refs.pathOf(value) } : value));
    return new TextEncoder().encode(text);
  },
  decode(bytes: Uint8Array, refs: RefResolver): unknown {
    const text = new TextDecoder().decode(bytes);
    return JSON.parse(text, (_key, value: unknown) => (isRefToken(value) ? (refs.refFor(value.$ref) ?? value) : value));
  },
};
