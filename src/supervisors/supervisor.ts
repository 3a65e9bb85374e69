// An OTP-style supervisor actor: starts its children from specs in order when it starts (and again
// after each of its own restarts), and answers a few admin messages. The policy it applies to
// failures is its cell's supervision strategy; the mechanics are in supervise.ts.
import type { ActorFactory } from '../runtime/actor.ts';
import type { Ref } from '../runtime/ref.ts';
import { childSpec, validateChildSpecs, type AnyChildSpec } from './child-spec.ts';
import type { SupervisorStrategy } from './strategy.ts';

export interface ChildInfo {
  readonly name: string;
  readonly path: string;
}

export type SupervisorMsg =
  | { readonly type: 'start-child'; readonly spec: AnyChildSpec; readonly replyTo?: Ref<StartChildReply> }
  | { readonly type: 'stop-child'; readonly name: string; readonly replyTo?: Ref<boolean> }
  | { readonly type: 'which-children'; readonly replyTo: Ref<readonly ChildInfo[]> };

export type StartChildReply = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly error: string };

export function supervisor(children: readonly AnyChildSpec[]): ActorFactory<SupervisorMsg> {
  const specs = validateChildSpecs(children);
  return (ctx) => ({
    preStart() {
      for (const spec of specs) ctx.spawn(spec.factory, spec);
    },
    async receive(msg) {
      switch (msg.type) {
        case 'start-child': {
          try {
            validateChildSpecs([msg.spec]);
            const ref = ctx.spawn(msg.spec.factory, msg.spec);
            msg.replyTo?.tell({ ok: true, path: ref.path });
          } catch (error) {
            msg.replyTo?.tell({ ok: false, error: error instanceof Error ? error.message : String(error) });
          }
          return;
        }
        case 'stop-child': {
          const child = ctx.child(msg.name);
          if (child !== undefined) await ctx.stop(child);
          msg.replyTo?.tell(child !== undefined);
          return;
        }
        case 'which-children':
          msg.replyTo.tell(ctx.children().map((c) => ({ name: c.path.slice(c.path.lastIndexOf('/') + 1), path: c.path })));
          return;
      }
    },
  });
}

/** A supervisor as a child of another: its strategy applies to `children`. */
export function supervisorSpec(
  name: string,
  strategy: SupervisorStrategy,
  children: readonly AnyChildSpec[],
  options: Omit<AnyChildSpec, 'factory' | 'name' | 'supervision'> = {},
): AnyChildSpec {
  return childSpec(supervisor(children), { ...options, name, supervision: strategy });
}
