// What the remote transport decides, published on its own event stream: associations coming up,
// losing their connection, going down and being quarantined, reconnects, and every socket this end
// closed with a code (a failed handshake, a hostile or broken peer). Logs, metrics and tests read it.
import type { PeerKind } from '../../protocol/remote/handshake-frames.ts';

export type RemoteEvent =
  | {
      readonly type: 'association-up';
      readonly address: string;
      readonly incarnation: number;
      readonly kind: PeerKind;
      readonly direction: 'dialed' | 'accepted';
      readonly time: number;
    }
  /** The connection dropped; the association lives on (reconnect, or wait for the peer to) until down. */
  | { readonly type: 'connection-lost'; readonly address: string; readonly code: number; readonly reason: string; readonly time: number }
  /** Declared down: watched actors there are Terminated, in-flight messages dead-lettered. */
  | {
      readonly type: 'association-down';
      readonly address: string;
      readonly incarnation: number | undefined;
      readonly why: string;
      readonly time: number;
    }
  | { readonly type: 'quarantined'; readonly address: string; readonly incarnation: number; readonly time: number }
  | {
      readonly type: 'reconnect-scheduled';
      readonly address: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly time: number;
    }
  /** This end closed a socket (handshake refused, protocol broken, flood...); `address` once known. */
  | {
      readonly type: 'connection-refused';
      readonly remote: string;
      readonly address: string | undefined;
      readonly code: number;
      readonly reason: string;
      readonly time: number;
    };

export type RemoteEventType = RemoteEvent['type'];
