// The router's answer to a graph change: committed (its unit, version and stamp, one outcome per
// op) or refused with a code. Clients, importers and the gateway read it (apply-result.ts).
import type { Hlc } from '../crdt/hlc.ts';
import type { JournalError } from '../storage/group-commit.ts';
import type { OpOutcome } from './shard-state.ts';

/** `shard-unavailable`: a shard the change needs is restarting or not answering (the message names it). */
export type GraphErrorCode =
  'invalid' | 'not-found' | 'endpoint-missing' | 'edge-id-conflict' | 'clock-skew' | 'shard-unavailable' | JournalError['reason'];

export type GraphAck =
  | {
      readonly ok: true;
      /** The journal unit; undefined when nothing had to be written. */
      readonly unit: number | undefined;
      readonly atMs: number | undefined;
      /** Graph version after this unit (the version before it when it changed nothing). */
      readonly version: number;
      /** The commit's HLC (the greatest stamp of its events); absent when nothing changed. */
      readonly stamp?: Hlc;
      /** One per op, in command order. */
      readonly results: readonly OpOutcome[];
    }
  | {
      readonly ok: false;
      /** `op`: the index in the command of the op that was refused, when one op was. */
      readonly error: { readonly code: GraphErrorCode; readonly message: string; readonly op?: number };
    };
