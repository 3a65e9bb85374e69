// The layers of src/, imported downwards only (docs/architecture.md draws them). Each folder lists
// the folders it may import; anything else, and any cycle, fails `npm run check`. There are no
// exceptions: a module that needs something from above is in the wrong layer, or needs a port.
//
//   cli
//   supervisors    strategies and the one application tree
//   actors         wire the domain libraries to the runtime
//   bundled-agents the agents `npm run agents` runs, on the SDK like any other agent
//   sdk            what an agent process imports: connectAgent
//   agent-protocol the agent messages and their codecs (on the runtime's remote codecs)
//   runtime        the actor mechanism (cells, mailboxes, remote); knows nothing of supervisors
//   domain         gateway > sssp > gpu > physics > graph > storage; settings, import, tasks, cluster
//   bottom         protocol, crdt, auth, shared (clock, backoff, recipient, ask errors)

const BOTTOM = ['shared', 'protocol', 'crdt', 'auth'];
const DOMAIN = ['storage', 'graph', 'physics', 'gpu', 'sssp', 'settings', 'import', 'tasks', 'cluster', 'gateway'];

/** Folder -> the folders of src/ it may import (besides itself). */
const MAY_IMPORT = {
  shared: [],
  protocol: ['shared'],
  crdt: ['shared'],
  auth: ['shared'],
  storage: BOTTOM,
  graph: [...BOTTOM, 'storage'],
  physics: [...BOTTOM, 'graph'],
  gpu: [...BOTTOM, 'physics'],
  sssp: [...BOTTOM, 'graph', 'gpu'],
  settings: [...BOTTOM, 'storage', 'physics'],
  import: [...BOTTOM, 'graph'],
  tasks: [...BOTTOM, 'storage'],
  cluster: BOTTOM,
  gateway: [...BOTTOM, 'graph', 'sssp', 'gpu', 'settings', 'tasks'],
  runtime: BOTTOM,
  'agent-protocol': [...BOTTOM, 'runtime'],
  sdk: [...BOTTOM, 'runtime', 'agent-protocol'],
  'bundled-agents': [...BOTTOM, 'runtime', 'agent-protocol', 'sdk'],
  actors: [...BOTTOM, ...DOMAIN, 'runtime', 'agent-protocol'],
  supervisors: [...BOTTOM, ...DOMAIN, 'runtime', 'agent-protocol', 'actors'],
  cli: [...BOTTOM, ...DOMAIN, 'runtime', 'agent-protocol', 'sdk', 'bundled-agents', 'actors', 'supervisors'],
};

const FOLDERS = Object.keys(MAY_IMPORT);
const folderPattern = (names) => `^src/(${names.join('|')})/`;

const layerRules = FOLDERS.map((folder) => {
  const forbidden = FOLDERS.filter((other) => other !== folder && !MAY_IMPORT[folder].includes(other));
  return {
    name: `layer-${folder}`,
    comment: `src/${folder} may import only ${MAY_IMPORT[folder].length === 0 ? 'itself' : MAY_IMPORT[folder].join(', ')}`,
    severity: 'error',
    from: { path: folderPattern([folder]) },
    to: { path: folderPattern(forbidden) },
  };
}).filter((rule) => rule.to.path !== '^src/()/');

export default {
  forbidden: [
    ...layerRules,
    {
      name: 'src-folder-known',
      comment: 'every folder of src/ has a place in the layers above',
      severity: 'error',
      from: { path: '^src/', pathNot: folderPattern(FOLDERS) },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'modules import each other in one direction only',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-build-scripts-at-run-time',
      comment: 'the running server never calls a build script: scripts/ builds, src/ runs',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(scripts|bench|test)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    exclude: { path: '^src/protocol/generated/' },
  },
};
