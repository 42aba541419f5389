// dependency-cruiser: the folder rules of docs/architecture.md (which src/ folders may import which,
// and which folder each heavy library lives behind), and no import cycles, type-only imports included.
// Change this file and docs/architecture.md together.

/** Which src/ folders each folder may import (besides itself). */
const allowedFolders = {
  common: [],
  profile: ['common'],
  // The replica reads the registry layout (model/registry, model/spec) and nothing else of the control plane.
  model: ['common'],
  replica: ['common', 'model'],
  gateway: ['common'],
  loadtest: ['common', 'stats'],
  // The statistics core: pure maths on plain numbers, used by loadtest, cli, tune and the rollout's judge.
  stats: ['common'],
  cluster: ['profile', 'model', 'stats', 'common'],
  // The state directory's layout and the admin API are wire conventions in common/.
  client: ['common'],
  tune: ['client', 'loadtest', 'report', 'profile', 'stats', 'common'],
  report: ['common'],
  simulate: ['cluster', 'profile', 'common'],
  export: ['profile', 'model', 'common'],
  ops: ['profile', 'common'],
  cli: ['common', 'profile', 'model', 'replica', 'gateway', 'cluster', 'client', 'loadtest', 'tune', 'report', 'simulate', 'export', 'ops', 'stats'],
};

/** Heavy libraries and the only folders that may import them. */
const libraryHomes = {
  'onnxruntime-node': ['replica', 'model'],
  'onnx-proto': ['model/optimize'],
  protobufjs: ['model/optimize'],
  'hdr-histogram-js': ['loadtest'],
  execa: ['cluster/launchers'],
  commander: ['cli'],
  ora: ['cli'],
  'cli-table3': ['cli'],
  zod: ['profile'],
  yaml: ['profile', 'model'],
  // The controller serves its own /metrics.
  'prom-client': ['replica', 'gateway', 'cluster/monitoring'],
  'd3-scale': ['report'],
  'd3-shape': ['report'],
  ioredis: ['gateway/cache'],
};

/**
 * Inside src/cluster/: which concern folders each may import (besides itself and the shared files
 * at cluster/'s root, like events.ts). From the top (controller) down; no arrow runs back up.
 */
const clusterFolders = {
  controller: ['rollout', 'schedule', 'replicas', 'launchers', 'hosts', 'placement', 'autoscale', 'monitoring', 'state'],
  rollout: ['autoscale'],
  schedule: ['replicas', 'autoscale'],
  replicas: ['launchers', 'placement', 'autoscale'],
  launchers: ['hosts', 'placement'],
  hosts: ['placement'],
  monitoring: ['autoscale'],
  autoscale: [],
  state: [],
  placement: [],
};

const folders = Object.keys(allowedFolders);
const folderRules = folders.map((folder) => {
  const others = folders.filter((f) => f !== folder && !allowedFolders[folder].includes(f));
  return {
    name: `${folder}-imports-only-${allowedFolders[folder].join('-') || 'itself'}`,
    severity: 'error',
    comment: `src/${folder}/ may import only ${allowedFolders[folder].join(', ') || 'itself'} (docs/architecture.md)`,
    from: { path: `^src/${folder}/` },
    to: { path: `^src/(${others.join('|')})/` },
  };
});
const clusterNames = Object.keys(clusterFolders);
const clusterRules = clusterNames.flatMap((folder) => {
  const others = clusterNames.filter((f) => f !== folder && !clusterFolders[folder].includes(f));
  const own = `^src/cluster/${folder}/`;
  const rules = [
    {
      // Everything outside a concern folder goes through its index.ts, which says what the folder owns.
      name: `cluster-${folder}-entered-by-its-index`,
      severity: 'error',
      comment: `from outside src/cluster/${folder}/, import its index.ts only`,
      from: { path: '^src/', pathNot: own },
      to: { path: own, pathNot: `${own}index\\.ts$` },
    },
  ];
  if (others.length > 0)
    rules.push({
      name: `cluster-${folder}-imports-only-${clusterFolders[folder].join('-') || 'itself'}`,
      severity: 'error',
      comment: `src/cluster/${folder}/ may import only ${clusterFolders[folder].join(', ') || 'itself'} of cluster/ (docs/architecture.md)`,
      from: { path: own },
      to: { path: `^src/cluster/(${others.join('|')})/` },
    });
  return rules;
});
const clusterRootRule = {
  name: 'cluster-root-imports-no-concern-folder',
  severity: 'error',
  comment: "the shared files at src/cluster/'s root (events.ts) import no concern folder",
  from: { path: '^src/cluster/[^/]+\\.ts$' },
  to: { path: '^src/cluster/[^/]+/' },
};
const libraryRules = Object.entries(libraryHomes).map(([pkg, homes]) => ({
  name: `${pkg}-lives-behind-${homes.join('-').replace(/\//g, '_')}`,
  severity: 'error',
  comment: `${pkg} is imported only under ${homes.map((h) => `src/${h}/`).join(', ')}`,
  from: { path: '^src/', pathNot: `^src/(${homes.join('|')})/` },
  to: { path: `node_modules/${pkg}/` },
}));

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'no import cycle, type-only imports included', from: {}, to: { circular: true } },
    { name: 'nothing-imports-test-or-bench', severity: 'error', from: { path: '^src/' }, to: { path: '^(test|bench)/' } },
    ...folderRules,
    ...clusterRules,
    clusterRootRule,
    ...libraryRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    moduleSystems: ['es6', 'cjs'],
  },
};
