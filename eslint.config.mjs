import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

const nodeBuiltins = [
  'fs', 'path', 'os', 'crypto', 'http', 'https', 'net', 'tls', 'child_process', 'stream',
  'events', 'util', 'buffer', 'url', 'zlib', 'worker_threads', 'cluster', 'dns', 'readline',
];

// Infra libs in layer order: each may use the layers before it (and contracts, and @gad/testing in
// its own tests), never one after it. docs/architecture.md, "Boundaries".
const infraLayers = ['config', 'observability', 'platform', 'bus', 'audit'];
const infraLayerConstraints = infraLayers.map((layer, index) => ({
  sourceTag: `layer:${layer}`,
  onlyDependOnLibsWithTags: [
    'type:contracts',
    'type:testing',
    ...infraLayers.slice(0, index).map((below) => `layer:${below}`),
  ],
}));

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  prettier,
  { ignores: ['**/dist', '**/node_modules', '**/coverage', '**/.nx', '**/tmp', '**/*.cjs', '**/*.js'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          // A lib's own tests import it as `@gad/<lib>`, like its users do.
          allowCircularSelfDependency: true,
          banTransitiveDependencies: false,
          allow: [],
          depConstraints: [
            // Contracts are browser-safe and depend on nothing but zod.
            {
              sourceTag: 'type:contracts',
              onlyDependOnLibsWithTags: [],
              allowedExternalImports: ['zod'],
            },
            // The client runs in browsers: contracts, zod and socket.io-client only.
            {
              sourceTag: 'type:client',
              onlyDependOnLibsWithTags: ['type:contracts'],
              allowedExternalImports: ['zod', 'socket.io-client'],
            },
            // Infra libs are layered: each uses the layers below it, contracts, and @gad/testing in
            // its own tests (docs/architecture.md, "Boundaries"):
            //   config ← observability ← platform ← bus ← audit
            {
              sourceTag: 'type:infra',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:infra', 'type:testing'],
            },
            ...infraLayerConstraints,
            // The test kit sits under every lib's tests, so it uses none of them (a cycle otherwise):
            // contracts, the client and its own files only.
            {
              sourceTag: 'type:testing',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:client', 'type:testing'],
            },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:infra', 'type:testing'],
            },
            {
              sourceTag: 'type:e2e',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:client', 'type:testing'],
            },
            // tools/scripts, tools/bench, tools/stack: libs only, through their index (never an app).
            {
              sourceTag: 'type:tool',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:client', 'type:infra', 'type:testing'],
            },
            // The browser console (apps/console) is a thin client: @gad/client and contracts only.
            {
              sourceTag: 'type:console',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:client'],
            },
            // The fleet simulator drives the system as a client does: contracts and @gad/client only.
            {
              sourceTag: 'type:simulator',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:client'],
            },
            // docker/test checks compose, k8s and the operations docs against the services' env
            // schemas (@gad/config) and starts the built images through the client.
            {
              sourceTag: 'type:deploy-test',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:client', 'type:testing', 'layer:config'],
            },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:console', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:api-gateway', onlyDependOnLibsWithTags: ['scope:shared', 'scope:api-gateway'] },
            { sourceTag: 'scope:ws-gateway', onlyDependOnLibsWithTags: ['scope:shared', 'scope:ws-gateway'] },
            { sourceTag: 'scope:geo-service', onlyDependOnLibsWithTags: ['scope:shared', 'scope:geo-service'] },
            {
              sourceTag: 'scope:audit-log-worker',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:audit-log-worker'],
            },
            {
              sourceTag: 'scope:notification-service',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:notification-service'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Browser-safe libraries: no Node built-ins.
    files: ['libs/contracts/src/**/*.ts', 'libs/client/src/**/*.ts', 'apps/console/src/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'libs/contracts and libs/client must run in a browser' })),
          patterns: [{ group: ['node:*'], message: 'libs/contracts and libs/client must run in a browser' }],
        },
      ],
    },
  },
  {
    // One rule for strings, numbers and timestamps of every contract (libs/contracts/src/primitives):
    // NUL, lone surrogates, subnormal numbers, year 0 or loose query numbers never pass validation.
    // published/socket-events.ts only describes, for the AsyncAPI document, server-to-client payloads
    // that are TypeScript interfaces in realtime/: nothing is validated with those schemas, and
    // text()/num() would change the published document.
    files: ['libs/contracts/src/**/*.ts'],
    ignores: [
      '**/*.spec.ts',
      'libs/contracts/src/primitives/primitives.schema.ts',
      'libs/contracts/src/published/socket-events.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='z'][callee.property.name=/^(string|number|int|float64|coerce)$/]",
          message: 'use text() / num() from libs/contracts/src/primitives (storable strings and numbers)',
        },
        {
          selector: "MemberExpression[object.name='z'][property.name='coerce']",
          message: 'use queryNumber() from libs/contracts/src/primitives (strict decimal query numbers)',
        },
        {
          selector: "MemberExpression[object.object.name='z'][object.property.name='iso']",
          message: 'use timestamp() from libs/contracts/src/primitives (bounded to what PostgreSQL stores)',
        },
      ],
    },
  },
  {
    // @gad/testing is for tests only: production sources of apps and infra libs never import it.
    files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.integration-spec.ts', '**/*.e2e-spec.ts', 'libs/testing/**', 'apps/system-e2e/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: '@gad/testing', message: 'test code only' }] }],
    },
  },
  {
    // Only libs/config reads the environment.
    files: ['apps/**/src/**/*.ts', 'libs/**/src/**/*.ts'],
    ignores: ['libs/config/src/**/*.ts', 'libs/testing/src/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration through @gad/config' }],
    },
  },
  {
    files: ['tools/**/*.ts', '**/*.spec.ts', '**/*.integration-spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
];
