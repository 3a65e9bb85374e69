// Types for src/cli/viewer-bundle.mjs.

/** Where the built viewer is served from. */
export const VIEWER_DIST: string;
/** Whether viewer/dist is missing or older than any file it was built from. */
export function viewerIsStale(): Promise<boolean>;
