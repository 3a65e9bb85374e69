// The viewer's keys, in one list: what each does (the help overlay prints this list) and which
// action of the viewer it calls. Keys are ignored while typing in a field.

export type KeyAction =
  'help' | 'frame' | 'escape' | 'search' | 'isolate' | 'blocks' | 'labels' | 'colour' | 'start' | 'end' | 'clear' | 'png';

export const KEYS: readonly (readonly [key: string, shown: string, action: KeyAction, what: string])[] = [
  ['?', '?', 'help', 'Show or hide this help'],
  ['/', '/', 'search', 'Search titles'],
  ['f', 'F', 'frame', 'Frame the whole graph'],
  ['Escape', 'Esc', 'escape', 'Close the panel or help; clear the selection'],
  ['i', 'I', 'isolate', "Isolate the selected node's neighbourhood (again: show all)"],
  ['b', 'B', 'blocks', 'Show blocks, or fold them into their pages'],
  ['l', 'L', 'labels', 'Labels on or off'],
  ['c', 'C', 'colour', 'Next colouring (type, degree, community, …)'],
  ['s', 'S', 'start', 'Start a path at the selected node'],
  ['e', 'E', 'end', 'End the path at the selected node'],
  ['x', 'X', 'clear', 'Clear the path'],
  ['p', 'P', 'png', 'Save the view as a PNG'],
];

export const MOUSE: readonly (readonly [string, string])[] = [
  ['Hover', 'Highlight a node, its links and its neighbours'],
  ['Click', 'Select: details, and the neighbourhood in focus'],
  ['Double-click', 'Fly to the node and its neighbours'],
  ['Drag a node', 'Move it (every viewer sees it; it stays pinned a while)'],
  ['Drag', 'Orbit'],
  ['Right-drag, Shift+drag', 'Pan'],
  ['Wheel', 'Zoom'],
];

/** Calls `act` for the viewer's keys, except while the focus is in a text field or a menu. */
export function bindKeys(target: Window, act: (action: KeyAction) => void): void {
  target.addEventListener('keydown', (e) => {
    const t = e.target;
    if (
      (t instanceof HTMLInputElement && t.type !== 'checkbox' && t.type !== 'range') ||
      t instanceof HTMLSelectElement ||
      t instanceof HTMLTextAreaElement
    ) {
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const hit = KEYS.find(([key]) => key === e.key || key === e.key.toLowerCase());
    if (hit === undefined) return;
    if (hit[2] === 'search') e.preventDefault();
    act(hit[2]);
  });
}
