// The frame around a batch of envelopes (schemas/remote.fbs): acknowledgement, the first seq,
// system messages and the envelopes' vector, finished with the file identifier; and the frames
// with no envelopes (heartbeats, acknowledgements, death watch). Paths in system messages are
// written once per frame, however many vectors name them.
import { Builder } from 'flatbuffers';
import { RemoteFrame } from '../generated/vf/remote-frame.ts';
import { addFieldInt64 } from './int64-fields.ts';
import { FRAME_IDENTIFIER } from './frame-reader.ts';

/** System messages for a frame: local paths (see schemas/remote.fbs). */
export interface SystemMessages {
  readonly watch: readonly string[];
  readonly rewatch: boolean;
  readonly unwatch: readonly string[];
  readonly terminated: readonly string[];
}

/** A frame without envelopes: acknowledgement, heartbeat and system messages. */
export function controlFrame(ack: number, system: SystemMessages | undefined): Uint8Array {
  return finishFrame(new Builder(256), ack, 0, 0, system);
}

/**
 * Finishes the frame in `b` (whose envelopes, if any, are the vector at offset `envelopes`) and
 * returns a copy of its bytes.
 */
export function finishFrame(b: Builder, ack: number, firstSeq: number, envelopes: number, system: SystemMessages | undefined): Uint8Array {
  const strings = (paths: readonly string[]): number[] => paths.map((p) => b.createSharedString(p));
  let watch = 0;
  let unwatch = 0;
  let terminated = 0;
  if (system !== undefined) {
    if (system.watch.length > 0) watch = RemoteFrame.createWatchVector(b, strings(system.watch));
    if (system.unwatch.length > 0) unwatch = RemoteFrame.createUnwatchVector(b, strings(system.unwatch));
    if (system.terminated.length > 0) terminated = RemoteFrame.createTerminatedVector(b, strings(system.terminated));
  }
  RemoteFrame.startRemoteFrame(b);
  // ack and first_seq (fields 4 and 5) without BigInt: the bytes RemoteFrame.addAck/addFirstSeq write.
  addFieldInt64(b, 4, ack);
  addFieldInt64(b, 5, firstSeq);
  if (watch !== 0) RemoteFrame.addWatch(b, watch);
  if (system?.rewatch === true) RemoteFrame.addRewatch(b, true);
  if (unwatch !== 0) RemoteFrame.addUnwatch(b, unwatch);
  if (terminated !== 0) RemoteFrame.addTerminated(b, terminated);
  if (envelopes !== 0) RemoteFrame.addEnvelopes(b, envelopes);
  b.finish(RemoteFrame.endRemoteFrame(b), FRAME_IDENTIFIER);
  // The builder is reused for the next batch while the socket may still hold these bytes.
  return b.asUint8Array().slice();
}
