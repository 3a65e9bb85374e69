// Keeps the layout's parameters equal to the settings tree's physics.* values: at start it applies
// what the settings hold (persisted changes included), then every change as it is made (the
// physics actor eases it in). A path "physics.knowledge.charge" is the parameter knowledge.charge.
import type { PhysicsMsg } from './physics-messages.ts';
import type { ParamsPatch } from '../physics/params.ts';
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import type { SettingValue } from '../settings/delta.ts';
import type { SettingsBroadcast, SettingsMsg, SettingsSnapshot } from '../settings/protocol.ts';

export type PhysicsSettingsMsg = SettingsBroadcast;

const PREFIX = 'physics.';

/** The physics patch for settings values under physics.*; other paths are ignored. */
/** Its name under /app/compute (the application tree, src/supervisors/app-tree.ts). */
export const PHYSICS_SETTINGS_NAME = 'physics-settings';

export function patchFromSettings(values: Iterable<readonly [string, SettingValue]>): ParamsPatch {
  const patch: Record<string, unknown> = {};
  for (const [path, value] of values) {
    if (!path.startsWith(PREFIX) || typeof value !== 'number') continue;
    const [first, second] = path.slice(PREFIX.length).split('.');
    if (first === undefined) continue;
    if (second === undefined) patch[first] = value;
    else patch[first] = { ...((patch[first] as Record<string, number> | undefined) ?? {}), [second]: value };
  }
  return patch as ParamsPatch;
}

export function physicsSettings(options: {
  readonly settings: Ref<SettingsMsg>;
  readonly physics: Ref<PhysicsMsg>;
}): ActorFactory<PhysicsSettingsMsg> {
  return (ctx) => {
    const apply = (values: Iterable<readonly [string, SettingValue]>): void => {
      const patch = patchFromSettings(values);
      if (Object.keys(patch).length > 0) options.physics.tell({ type: 'set-params', patch });
    };
    return {
      async preStart() {
        options.settings.tell({
          type: 'subscribe',
          subscriber: ctx.self as Ref<SettingsBroadcast>,
          client: 'physics',
          prefix: PREFIX,
          immediate: true,
        });
        const snapshot = await ctx.ask<SettingsMsg, SettingsSnapshot>(
          options.settings,
          (replyTo) => ({ type: 'get', paths: [PREFIX], replyTo }),
          10_000,
        );
        apply(Object.entries(snapshot.values).map(([path, v]) => [path, v.value] as const));
      },
      postStop() {
        options.settings.tell({ type: 'unsubscribe', subscriber: ctx.self as Ref<SettingsBroadcast> });
      },
      receive(msg) {
        apply(msg.deltas.map((d) => [d.path, d.new] as const));
      },
    };
  };
}
