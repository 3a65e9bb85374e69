import test from 'ava';
import fc from 'fast-check';
import { SETTINGS_SCHEMA, validateSetting } from '../../src/settings/schema.ts';
import { SettingsTree } from '../../src/settings/settings-tree.ts';

/** A delta stamp source: the HLC of wall time `wallMs`. */
const at = (wallMs: number) => () => ({ wallMs, logical: 0, node: 1 });

test('any value from outside is either accepted within its spec or refused with a reason', (t) => {
  const paths = Object.keys(SETTINGS_SCHEMA);
  fc.assert(
    fc.property(fc.oneof(fc.constantFrom(...paths), fc.string()), fc.anything(), (path, value) => {
      const r = validateSetting(path, value);
      if (!r.ok) return r.message.length > 0 && (r.code === 'unknown-path' ? !paths.includes(path) : paths.includes(path));
      const spec = SETTINGS_SCHEMA[path]!;
      switch (spec.type) {
        case 'number':
          return typeof r.value === 'number' && Number.isFinite(r.value) && r.value >= spec.min && r.value <= spec.max;
        case 'boolean':
          return typeof r.value === 'boolean';
        case 'enum':
          return spec.values.includes(r.value as string);
        case 'color':
          return /^#[0-9a-f]{6}$/.test(r.value as string);
        case 'string':
          return typeof r.value === 'string' && r.value.length <= spec.maxLength;
      }
    }),
    { numRuns: 5_000 },
  );
  t.pass();
});

test('NaN, Infinity, out-of-range, non-integers and inherited names are refused', (t) => {
  t.false(validateSetting('physics.repulsion', Number.NaN).ok);
  t.false(validateSetting('physics.repulsion', Infinity).ok);
  t.false(validateSetting('physics.damping', 1.5).ok);
  t.false(validateSetting('physics.simHz', 30.5).ok);
  t.false(validateSetting('visualisation.background', 'red').ok);
  for (const path of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    const r = validateSetting(path, 1);
    t.true(!r.ok && r.code === 'unknown-path');
  }
  t.deepEqual(validateSetting('visualisation.background', '#ABCDEF'), { ok: true, value: '#abcdef' });
});

test('a batch is all or nothing; compare-and-set refuses a stale version with the value that stands', (t) => {
  const tree = new SettingsTree();
  const good = tree.plan([{ path: 'physics.repulsion', value: 0.5 }], 'a', at(1));
  t.true(good.ok);
  if (good.ok) tree.commit(good.deltas);
  t.is(tree.version, 1);
  const mixed = tree.plan(
    [
      { path: 'physics.damping', value: 0.5 },
      { path: 'physics.damping', value: 7 },
    ],
    'a',
    at(2),
  );
  t.false(mixed.ok);
  t.is(tree.current('physics.damping')!.value, 0.3);
  const stale = tree.plan([{ path: 'physics.repulsion', value: 0.7, ifVersion: 0 }], 'b', at(3));
  t.deepEqual(stale, {
    ok: false,
    errors: [
      {
        path: 'physics.repulsion',
        code: 'conflict',
        message: 'physics.repulsion changed since version 0',
        current: { value: 0.5, version: 1 },
      },
    ],
  });
  const twice = tree.plan(
    [
      { path: 'physics.repulsion', value: 1 },
      { path: 'physics.repulsion', value: 2 },
    ],
    'a',
    at(4),
  );
  t.true(twice.ok);
  if (twice.ok) {
    t.deepEqual(
      twice.deltas.map((d) => [d.old, d.new, d.version]),
      [
        [0.5, 1, 2],
        [1, 2, 3],
      ],
    );
  }
});
