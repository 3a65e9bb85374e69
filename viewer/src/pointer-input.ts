// The pointer on the canvas: left-drag on empty space orbits, right-drag (or shift+left) pans, the
// wheel zooms; left-drag on a node drags the node; a click without movement selects (or clears
// the selection); hovering highlights.
import type { OrbitCamera } from './orbit-camera.ts';

export interface PointerTarget {
  pick(x: number, y: number): number | undefined;
  hover(id: number | undefined): void;
  click(id: number | undefined): void;
  dragStart(id: number): void;
  dragMove(id: number, x: number, y: number): void;
  dragEnd(id: number, x: number, y: number): void;
}

const CLICK_SLOP = 4;

export function bindPointer(canvas: HTMLCanvasElement, orbit: OrbitCamera, target: PointerTarget): void {
  let mode: 'none' | 'orbit' | 'pan' | 'node' = 'none';
  let dragged: number | undefined;
  let startX = 0;
  let startY = 0;
  let lastX = 0;
  let lastY = 0;
  let moved = false;
  let hoverPending: { x: number; y: number } | undefined;

  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    startX = lastX = e.offsetX;
    startY = lastY = e.offsetY;
    moved = false;
    dragged = undefined;
    if (e.button === 2 || (e.button === 0 && e.shiftKey)) mode = 'pan';
    else if (e.button === 0) {
      const hit = target.pick(e.offsetX, e.offsetY);
      if (hit !== undefined) {
        mode = 'node';
        dragged = hit;
      } else mode = 'orbit';
    }
  });
  canvas.addEventListener('pointermove', (e) => {
    const dx = e.offsetX - lastX;
    const dy = e.offsetY - lastY;
    lastX = e.offsetX;
    lastY = e.offsetY;
    if (Math.hypot(e.offsetX - startX, e.offsetY - startY) > CLICK_SLOP && mode !== 'none' && !moved) {
      moved = true;
      if (mode === 'node' && dragged !== undefined) target.dragStart(dragged);
    }
    if (mode === 'orbit') orbit.orbit(dx, dy);
    else if (mode === 'pan') orbit.pan(dx, dy);
    else if (mode === 'node' && moved && dragged !== undefined) target.dragMove(dragged, e.offsetX, e.offsetY);
    else if (mode === 'none') {
      // At most one pick per animation frame.
      if (hoverPending === undefined) {
        requestAnimationFrame(() => {
          const p = hoverPending;
          hoverPending = undefined;
          if (p !== undefined) target.hover(target.pick(p.x, p.y));
        });
      }
      hoverPending = { x: e.offsetX, y: e.offsetY };
    }
  });
  canvas.addEventListener('pointerup', (e) => {
    if (mode === 'node' && moved && dragged !== undefined) target.dragEnd(dragged, e.offsetX, e.offsetY);
    else if (!moved && e.button === 0) target.click(mode === 'node' ? dragged : undefined);
    mode = 'none';
    dragged = undefined;
  });
  canvas.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      orbit.zoom(e.deltaY);
    },
    { passive: false },
  );
}
