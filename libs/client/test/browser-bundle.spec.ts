import { builtinModules } from 'node:module';
import { join } from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries -- build tooling of this test, not a dependency of the client
import { build, type Plugin } from 'esbuild';

const repoRoot = join(__dirname, '..', '..', '..');
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** @gad/client (with @gad/contracts, zod and socket.io-client) must bundle for a browser. */
describe('@gad/client in a browser bundle', () => {
  it('bundles for platform browser without any Node built-in', async () => {
    const imported: string[] = [];
    const noNodeBuiltins: Plugin = {
      name: 'no-node-builtins',
      setup(plugin) {
        plugin.onResolve({ filter: /.*/ }, (args) => {
          const root = args.path.startsWith('node:')
            ? args.path
            : args.path.split('/').slice(0, args.path.startsWith('@') ? 2 : 1)[0];
          if (builtins.has(args.path) || builtins.has(root)) {
            imported.push(`${args.path} (from ${args.importer.replace(repoRoot, '')})`);
            return { path: args.path, external: true };
          }
          return undefined;
        });
      },
    };
    const result = await build({
      entryPoints: [join(repoRoot, 'libs/client/src/index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      write: false,
      metafile: true,
      logLevel: 'silent',
      tsconfig: join(repoRoot, 'tsconfig.base.json'),
      plugins: [noNodeBuiltins],
    });
    expect(imported).toEqual([]);
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((input) => input.includes('libs/contracts/src'))).toBe(true);
    expect(inputs.some((input) => input.includes('socket.io-client'))).toBe(true);
    expect(result.outputFiles[0].text).toContain('GadProblemError');
  }, 30_000);
});
