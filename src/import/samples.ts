// The public data sets that travel with the project (samples/README.md says where each comes from):
// the first start imports the Logseq graph, and the tests and benchmarks read all three.
import { fileURLToPath } from 'node:url';

const root = (relative: string): string => fileURLToPath(new URL(`../../samples/${relative}`, import.meta.url));

/** Logseq's documentation as a Logseq graph (a folder of markdown pages and journals). */
export const LOGSEQ_DOCS = root('logseq-docs');
/** DIMACS road network of Rome: 3,353 nodes, 8,870 directed arcs. */
export const ROME99_GR = root('graphs/rome99.gr');
/** SNAP ego-Facebook: 4,039 nodes, 88,234 undirected edges. */
export const FACEBOOK_EDGES = root('graphs/facebook_combined.txt');
