// A NodeDrag from the wire as a layout command, or why it cannot be one. The envelope verifier
// has already made the accessors safe and the floats finite; what is left is meaning: a drag needs
// a position, and the position must stay near the layout, because one far-flung node would stretch
// the box every position frame is quantised against and blur every other node for every viewer.
import type { NodeDrag } from '../protocol/index.ts';

/** Largest |x|, |y|, |z| a drag may ask for (layouts live within a few thousand units). */
export const MAX_DRAG_COORDINATE = 100_000;

export type DragCommand =
  | { readonly kind: 'drag'; readonly id: number; readonly position: { readonly x: number; readonly y: number; readonly z: number } }
  | { readonly kind: 'release'; readonly id: number };

export function dragFromWire(drag: NodeDrag): { ok: true; command: DragCommand } | { ok: false; error: string } {
  const id = drag.id();
  if (drag.release()) return { ok: true, command: { kind: 'release', id } };
  const p = drag.position();
  if (p === null) return { ok: false, error: 'NodeDrag: a drag needs a position (or release)' };
  const position = { x: p.x(), y: p.y(), z: p.z() };
  for (const [axis, v] of Object.entries(position)) {
    if (!Number.isFinite(v) || Math.abs(v) > MAX_DRAG_COORDINATE) {
      return { ok: false, error: `NodeDrag: position.${axis} ${v} is outside [-${MAX_DRAG_COORDINATE}, ${MAX_DRAG_COORDINATE}]` };
    }
  }
  return { ok: true, command: { kind: 'drag', id, position } };
}
