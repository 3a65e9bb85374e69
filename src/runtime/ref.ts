// A typed address. Whether the actor behind it lives in this process (a mailbox) or elsewhere (a
// transport carrying an envelope) is the ref's business: actor code only ever calls `tell`.
import type { Recipient } from '../shared/recipient.ts';

export interface Ref<Msg> extends Recipient<Msg> {
  /** "/app/graph/shard-0" locally, "vf://node-b/app/graph/shard-0" for an actor elsewhere. */
  readonly path: string;
  /** Fire and forget. Never throws: what cannot be delivered goes to dead letters. */
  tell(message: Msg, sender?: Ref<unknown>): void;
}
