// `npm start`: one VisionFlow node with embedded defaults (start-node.ts). The signal handlers go in
// first, before the heavy modules load, so that SIGTERM or Ctrl-C at any moment of the start gives
// an ordered stop and exit 0 (exit-on-termination.ts).
import { onTermination } from './exit-on-termination.ts';

const termination = onTermination();
const { startNode } = await import('./start-node.ts');
await startNode(termination);
