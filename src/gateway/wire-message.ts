// One WebSocket message as the server holds it: its bytes, or its fragments in order. Fragments let
// many receivers share one big body behind a small head of their own (an envelope stamped with
// each receiver's seq) with no copy of the body; the client sees one message either way.

export type WireMessage = Uint8Array | readonly Uint8Array[];

/** The message's length in bytes. */
export function wireLength(message: WireMessage): number {
  if (message instanceof Uint8Array) return message.byteLength;
  let n = 0;
  for (const part of message) n += part.byteLength;
  return n;
}
