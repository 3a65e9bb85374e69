// The remote transport in Prometheus form, read from the associations at scrape time (nothing is
// counted twice on the send path): bytes, frames and messages in and out, the outbound queue, reconnects,
// missed heartbeats, downs and dead letters per peer, sockets this end closed by code, every limit.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RemoteTransport } from './remote-transport.ts';

export function bindRemoteMetrics(transport: RemoteTransport, registry: Registry): void {
  const registers = [registry];
  const perPeer = (
    name: string,
    help: string,
    read: (stats: ReturnType<RemoteTransport['associationList']>[number]['stats']) => [number, number],
  ): void => {
    new Counter({
      name,
      help,
      labelNames: ['peer', 'direction'],
      registers,
      collect() {
        this.reset();
        for (const a of transport.associationList()) {
          const [inbound, outbound] = read(a.stats);
          this.inc({ peer: a.address, direction: 'in' }, inbound);
          this.inc({ peer: a.address, direction: 'out' }, outbound);
        }
      },
    });
  };
  perPeer('vf_remote_bytes_total', 'Frame bytes received and sent, per peer system', (s) => [s.bytesIn, s.bytesOut]);
  perPeer('vf_remote_frames_total', 'Frames received and sent, per peer system', (s) => [s.framesIn, s.framesOut]);
  perPeer('vf_remote_messages_total', 'Actor messages (envelopes) received and sent, per peer system', (s) => [
    s.messagesIn,
    s.messagesOut,
  ]);
  new Gauge({
    name: 'vf_remote_queue_messages',
    help: 'Messages told to each peer system and not yet acknowledged by it (its outbound queue)',
    labelNames: ['peer'],
    registers,
    collect() {
      this.reset();
      for (const a of transport.associationList()) this.set({ peer: a.address }, a.queue.messages);
    },
  });
  new Gauge({
    name: 'vf_remote_queue_bytes',
    help: "Encoded bytes in each peer system's outbound queue",
    labelNames: ['peer'],
    registers,
    collect() {
      this.reset();
      for (const a of transport.associationList()) this.set({ peer: a.address }, a.queue.bytes);
    },
  });
  new Gauge({
    name: 'vf_remote_association_up',
    help: '1 for each peer system connected now, 0 for one known but not connected',
    labelNames: ['peer', 'kind'],
    registers,
    collect() {
      this.reset();
      for (const a of transport.associationList()) this.set({ peer: a.address, kind: a.kind }, a.state === 'up' ? 1 : 0);
    },
  });
  new Counter({
    name: 'vf_remote_reconnects_total',
    help: 'Dials made again after a lost connection or a failed dial, per peer system',
    labelNames: ['peer'],
    registers,
    collect() {
      this.reset();
      for (const a of transport.associationList()) this.inc({ peer: a.address }, a.stats.reconnects);
    },
  });
  new Counter({
    name: 'vf_remote_heartbeats_missed_total',
    help: 'Heartbeat checks that found two intervals of silence from a peer system',
    labelNames: ['peer'],
    registers,
    collect() {
      this.reset();
      for (const a of transport.associationList()) this.inc({ peer: a.address }, a.stats.heartbeatsMissed);
    },
  });
  new Counter({
    name: 'vf_remote_dead_letters_total',
    help: 'Messages for a peer system that the transport dead-lettered, by reason',
    labelNames: ['peer', 'reason'],
    registers,
    collect() {
      this.reset();
      for (const a of transport.associationList()) for (const [reason, n] of a.stats.deadLetters) this.inc({ peer: a.address, reason }, n);
    },
  });
  new Counter({
    name: 'vf_remote_closed_total',
    help: 'Sockets this system closed on a peer (failed handshake, broken protocol, flood, quarantine), by close code',
    labelNames: ['code'],
    registers,
    collect() {
      this.reset();
      for (const [code, n] of transport.refusals) this.inc({ code: String(code) }, n);
    },
  });
  const downs = new Counter({
    name: 'vf_remote_down_total',
    help: 'Peer systems declared down (then quarantined, that incarnation for good), per peer',
    labelNames: ['peer'],
    registers,
  });
  transport.events.subscribe((event) => {
    if (event.type === 'association-down') downs.inc({ peer: event.address });
  });
  new Gauge({
    name: 'vf_remote_limit',
    help: "The remote transport's limits and timings (bytes, messages, milliseconds, per second)",
    labelNames: ['limit'],
    registers,
    collect() {
      for (const [limit, value] of Object.entries(transport.limits)) this.set({ limit }, value);
    },
  });
}
