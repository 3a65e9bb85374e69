// Entry of a worker thread (the layout's, the shortest paths'). Worker threads do not inherit the
// TypeScript loader of the main thread (tsx), so register it here before importing the worker
// module itself (workerData.entry).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
