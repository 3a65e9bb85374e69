// Loaded first (`node --import=./src/cli/hold-signals.mjs --import=tsx src/cli/start.ts`, as
// `npm start` and the Docker image run the node): from here on SIGTERM and SIGINT are caught. The
// ones that come while tsx and the node's modules load are held and handed to the real handlers
// when start.ts installs them (exit-on-termination.ts), so no moment of the start is death by signal.
const held = [];
const hold = (signal) => held.push(signal);
process.on('SIGTERM', hold);
process.on('SIGINT', hold);
globalThis[Symbol.for('visionflow.held-signals')] = {
  /** Stops holding; returns the signals held so far, oldest first. */
  release() {
    process.off('SIGTERM', hold);
    process.off('SIGINT', hold);
    return held.splice(0);
  },
};
