// The remote transport's limits as `npm start` reads them from VF_REMOTE_*.
import test from 'ava';
import { remoteLimitsFromEnv } from '../../src/cli/remote-env.ts';
import { remoteLimits } from '../../src/runtime/remote/remote-limits.ts';

test('VF_REMOTE_* set the transport limits; unset or empty keep the defaults', (t) => {
  const given = remoteLimitsFromEnv({
    VF_REMOTE_MAX_FRAME_BYTES: '1048576',
    VF_REMOTE_HEARTBEAT_MS: '500',
    VF_REMOTE_DOWN_AFTER_MS: '5000',
    VF_REMOTE_INBOUND_MESSAGES_PER_SECOND: '50',
    VF_REMOTE_MAX_ASSOCIATIONS: '',
  });
  t.deepEqual(given, {
    maxFrameBytes: 1_048_576,
    heartbeatMs: 500,
    downAfterMs: 5_000,
    inboundMessagesPerSecond: 50,
    inboundMessageBurst: 100,
  });
  t.is(remoteLimits(given).maxAssociations, 1024);
  t.deepEqual(remoteLimitsFromEnv({}), {});
});

test('a value that is not a positive integer is refused, naming the variable', (t) => {
  t.throws(() => remoteLimitsFromEnv({ VF_REMOTE_MAX_QUEUE_BYTES: '12kb' }), {
    message: /VF_REMOTE_MAX_QUEUE_BYTES must be a positive integer/,
  });
  t.throws(() => remoteLimitsFromEnv({ VF_REMOTE_HEARTBEAT_MS: '0' }), { message: /VF_REMOTE_HEARTBEAT_MS/ });
});
