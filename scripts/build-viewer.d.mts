// Types for scripts/build-viewer.mjs (imported by the browser tests).

/** Whether viewer/dist is missing or older than any file it was built from. */
export function viewerIsStale(): Promise<boolean>;
/** Builds the viewer into viewer/dist; resolves with the bundle's size in bytes. */
export function buildViewer(options?: { minify?: boolean }): Promise<number>;
/** Builds viewer/dist when it is missing or stale; concurrent callers in one process share a build. */
export function ensureViewerBuilt(): Promise<void>;
