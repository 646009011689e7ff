import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * A Node process (the one running the tests, Node 24 under `npm test`) that allocates a burst,
 * keeps it across scavenges so it is promoted, drops it and goes idle. With the nudge, V8's memory
 * reducer compacts the old generation and returns its pages: the committed heap falls below a
 * quarter of its peak (25 of 287 MiB within 25 s when tried). Without it, Node 24 keeps most of
 * the heap until a watchdog 100 s after the last full GC (134 of 264 MiB after 45 s when tried).
 */
const child = `
require('ts-node').register({ transpileOnly: true, compilerOptions: { module: 'commonjs' } });
const { nudgeMemoryReducer } = require(${JSON.stringify(join(__dirname, 'memory-reducer-nudge.ts'))});
nudgeMemoryReducer();
let keep = [];
for (let i = 0; i < 40; i += 1) {
  keep.push(Array.from({ length: 50000 }, (_, j) => ({ i, j, text: 'item ' + j })));
}
const peak = process.memoryUsage().heapTotal;
keep = null;
console.log(JSON.stringify({ peak }));
const timer = setInterval(() => console.log(JSON.stringify({ heapTotal: process.memoryUsage().heapTotal })), 500);
setTimeout(() => { clearInterval(timer); }, 45000);
`;

describe('nudgeMemoryReducer', () => {
  it('lets an idle process give a burst of promoted garbage back', async () => {
    const process_ = spawn(process.execPath, ['-e', child], {
      cwd: join(__dirname, '..', '..', '..', '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const result = await new Promise<{ peak: number; lowest: number }>((resolve) => {
        let peak = 0;
        let lowest = Number.POSITIVE_INFINITY;
        let buffered = '';
        process_.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) {
            const reading = JSON.parse(line) as { peak?: number; heapTotal?: number };
            peak = reading.peak ?? peak;
            lowest = Math.min(lowest, reading.heapTotal ?? lowest);
            if (peak > 0 && lowest < peak / 4) {
              resolve({ peak, lowest });
            }
          }
        });
        process_.once('exit', () => resolve({ peak, lowest }));
      });
      expect(result.peak).toBeGreaterThan(100 * 2 ** 20);
      expect(result.lowest).toBeLessThan(result.peak / 4);
    } finally {
      process_.kill();
    }
  }, 60_000);
});
