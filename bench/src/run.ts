// `npm run bench`: every benchmark in turn, each in its own process (so one's memory and CPU do not
// colour the next). Each prints its figures and writes bench/results/<name>.json.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');

const benchmarks: Array<{ name: string; command: string[] }> = [
  {
    name: 'synapse-ceiling',
    command: [process.execPath, '--import', 'tsx', join(here, 'synapse-ceiling.ts')],
  },
  {
    name: 'gateway-alone',
    command: [process.execPath, '--import', 'tsx', join(here, 'gateway', 'alone.ts')],
  },
  {
    name: 'gateway-full-stack',
    command: [process.execPath, '--import', 'tsx', join(here, 'gateway', 'full-stack.ts')],
  },
  { name: 'app-render', command: ['npm', 'run', '--silent', 'bench', '-w', 'app'] },
];

const only = process.argv.slice(2);
let failures = 0;
for (const bench of benchmarks) {
  if (only.length > 0 && !only.includes(bench.name)) continue;
  const script = bench.command.find((part) => part.endsWith('.ts'));
  if (script && !existsSync(script)) continue;
  console.log(`\n=== ${bench.name} ===`);
  const result = spawnSync(bench.command[0] as string, bench.command.slice(1), {
    stdio: 'inherit',
    cwd: repoRoot,
  });
  if (result.status !== 0) {
    failures += 1;
    console.error(`[bench] ${bench.name} failed (exit ${result.status ?? result.signal})`);
  }
}
process.exitCode = failures === 0 ? 0 : 1;
