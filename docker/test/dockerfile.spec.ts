import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate, ValidationSeverity } from 'dockerfile-utils';
import { repoRoot } from './deploy-test-helpers';

// hadolint is not to be had on these machines (docker/README.md, "What has and has not been run
// here"); the image recipe is checked with the Dockerfile parser and validator VS Code's Docker
// support uses, plus the hadolint rules that matter for this recipe, written against its AST.
const dockerfilePath = join(repoRoot, 'docker', 'Dockerfile');
const content = readFileSync(dockerfilePath, 'utf8');
const dockerfile = DockerfileParser.parse(content);
const instructions = dockerfile.getInstructions();

/** The instructions of each build stage, by stage name, in order. */
function stages(): Map<string, Instruction[]> {
  const byStage = new Map<string, Instruction[]>();
  let current: Instruction[] | null = null;
  for (const instruction of instructions) {
    if (instruction.getKeyword() === 'FROM') {
      const from = dockerfile
        .getFROMs()
        .find((f) => f.getRange().start.line === instruction.getRange().start.line);
      current = [];
      byStage.set(from?.getBuildStage() ?? `stage-${byStage.size}`, current);
    }
    current?.push(instruction);
  }
  return byStage;
}

/** The default of a global `ARG NAME=value` (before the first FROM). */
function globalArgDefault(name: string): string | undefined {
  const firstFrom = dockerfile.getFROMs()[0].getRange().start.line;
  const arg = dockerfile
    .getARGs()
    .filter((a) => a.getRange().start.line < firstFrom)
    .find((a) => a.getProperty()?.getName() === name);
  return arg?.getProperty()?.getValue() ?? undefined;
}

/** Words of an instruction's arguments, flags (`--from=...`) left out. */
function words(instruction: Instruction): string[] {
  return instruction
    .getArguments()
    .map((a) => a.getValue())
    .filter((w) => !w.startsWith('--'));
}

describe('docker/Dockerfile', () => {
  it('has no problems the Dockerfile validator reports, every optional check raised to an error', () => {
    const E = ValidationSeverity.ERROR;
    const diagnostics = validate(content, {
      deprecatedMaintainer: E,
      directiveCasing: E,
      emptyContinuationLine: E,
      instructionCasing: E,
      instructionCmdMultiple: E,
      instructionEntrypointMultiple: E,
      instructionHealthcheckMultiple: E,
      instructionJSONInSingleQuotes: E,
      instructionWorkdirRelative: E,
    });
    expect(diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('builds from an exact Node image of the project LTS line (.node-version), never latest', () => {
    const nodeVersion = readFileSync(join(repoRoot, '.node-version'), 'utf8').trim();
    const images = dockerfile.getFROMs().map((from) => {
      const image = from.getImage() ?? '';
      const variable = /^\$\{?(\w+)\}?$/.exec(image)?.[1];
      return variable ? (globalArgDefault(variable) ?? image) : image;
    });
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const image of images) {
      // hadolint DL3006/DL3007: an explicit tag that is not `latest`.
      expect(image).toMatch(/^node:(\d+\.\d+\.\d+)-[a-z]+-slim$/);
      expect(image.split(':')[1].split('-')[0]).toBe(nodeVersion);
    }
  });

  it('runs the service as the unprivileged node user, with a health check and signals reaching node', () => {
    const runtime = [...stages().values()].at(-1) ?? [];
    const users = runtime.filter((i) => i.getKeyword() === 'USER').map((i) => words(i).join(' '));
    // hadolint DL3002: the last USER is not root.
    expect(users.at(-1)).toBe('node');
    expect(runtime.filter((i) => i.getKeyword() === 'HEALTHCHECK')).toHaveLength(1);
    const cmd = runtime.filter((i) => i.getKeyword() === 'CMD');
    expect(cmd).toHaveLength(1);
    // Shell form (so $APP expands) must exec node, or SIGTERM stops at /bin/sh.
    expect(cmd[0].getArgumentsContent()).toMatch(/^exec node /);
  });

  it('copies only what the build context holds (no ADD, nothing .dockerignore leaves out)', () => {
    // hadolint DL3020: COPY, not ADD.
    expect(instructions.filter((i) => i.getKeyword() === 'ADD')).toEqual([]);
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    const contextCopies = dockerfile
      .getCOPYs()
      .filter((copy) => !copy.getFlags().some((flag) => flag.getName() === 'from'));
    expect(contextCopies.length).toBeGreaterThan(0);
    for (const copy of contextCopies) {
      for (const source of words(copy).slice(0, -1)) {
        const path = source.replace(/^\.\//, '').replace(/\/$/, '');
        expect({ source, exists: existsSync(join(repoRoot, path)) }).toEqual({
          source,
          exists: true,
        });
        expect({
          source,
          ignoredBy: ignored.filter((p) => p === path || p === path.split('/')[0]),
        }).toEqual({
          source,
          ignoredBy: [],
        });
      }
    }
  });

  it('gives every tools/scripts file the runtime stage copies the local files it loads', () => {
    const runtime = [...stages().values()].at(-1) ?? [];
    const copied = runtime
      .filter((i) => i.getKeyword() === 'COPY')
      .map((i) => words(i).at(-1) ?? '')
      .filter((dest) => dest.startsWith('./tools/scripts/'))
      .map((dest) => dest.replace(/^\.\//, ''));
    expect(copied).toEqual(
      expect.arrayContaining(['tools/scripts/register-paths.js', 'tools/scripts/db-migrate.mjs']),
    );
    for (const file of copied) {
      const source = readFileSync(join(repoRoot, file), 'utf8');
      const local = [
        ...source.matchAll(/(?:require\(|from\s+|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g),
      ].map((m) => join('tools/scripts', m[1]));
      expect({ file, missing: local.filter((dep) => !copied.includes(dep)) }).toEqual({
        file,
        missing: [],
      });
    }
  });
});
