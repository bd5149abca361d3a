// The gateway's production bundle built without a Docker engine, exactly as gateway/Dockerfile's build
// stage builds it: the Dockerfile's esbuild RUN line as written, its output directed into a folder beside
// gateway/dist. The Dockerfile's test checks that bundle; the benchmarks run it, so that both measure
// what the image runs rather than the TypeScript sources under tsx.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const gatewayDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(gatewayDir, '..');

export const DOCKERFILE = join(gatewayDir, 'Dockerfile');

export interface DockerfileInstruction {
  op: string;
  args: string;
}

export interface DockerfileStage {
  base: string;
  name?: string;
  instructions: DockerfileInstruction[];
}

/** A Dockerfile's global ARGs and its stages, continuation lines joined. */
export function parseDockerfile(text: string): { args: Map<string, string>; stages: DockerfileStage[] } {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  const args = new Map<string, string>();
  const stages: DockerfileStage[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [, op, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!op || rest === undefined) continue;
    const upper = op.toUpperCase();
    if (upper === 'ARG' && stages.length === 0) {
      const [name, value] = rest.split('=');
      args.set(name ?? '', value ?? '');
    } else if (upper === 'FROM') {
      const [, base, name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) ?? [];
      stages.push({
        base: (base ?? '').replace(/\$\{(\w+)\}/g, (_m, n: string) => args.get(n) ?? ''),
        ...(name ? { name } : {}),
        instructions: [],
      });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`Dockerfile: ${upper} before the first FROM`);
      stage.instructions.push({ op: upper, args: rest });
    }
  }
  return { args, stages };
}

/** The RUN line that bundles the gateway with esbuild, as gateway/Dockerfile writes it. */
export function esbuildStep(
  stages: DockerfileStage[] = parseDockerfile(readFileSync(DOCKERFILE, 'utf8')).stages,
): string {
  for (const stage of stages) {
    const run = stage.instructions.find((i) => i.op === 'RUN' && i.args.includes('esbuild'));
    if (run) return run.args;
  }
  throw new Error('gateway/Dockerfile has no RUN line that calls esbuild');
}

/**
 * The environment the image runs the gateway with: the ENV instructions of the last stage, in order
 * (`ENV KEY=VALUE ...`, a value in double quotes may hold spaces; the legacy `ENV KEY value` too).
 */
export function runtimeEnv(
  stages: DockerfileStage[] = parseDockerfile(readFileSync(DOCKERFILE, 'utf8')).stages,
): Record<string, string> {
  const final = stages.at(-1);
  if (!final) throw new Error('gateway/Dockerfile has no stage');
  const env: Record<string, string> = {};
  for (const { op, args } of final.instructions) {
    if (op !== 'ENV') continue;
    const legacy = /^([A-Za-z_]\w*)\s+([^=]*)$/.exec(args);
    if (legacy) {
      env[legacy[1]!] = legacy[2]!.trim();
      continue;
    }
    const pair = /([A-Za-z_]\w*)=(?:"((?:[^"\\]|\\.)*)"|(\S*))(?:\s+|$)/y;
    let at = 0;
    while (at < args.length) {
      pair.lastIndex = at;
      const match = pair.exec(args);
      if (!match) throw new Error(`gateway/Dockerfile: cannot read ENV ${args}`);
      env[match[1]!] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
      at = pair.lastIndex;
    }
  }
  return env;
}

export interface GatewayBundle {
  /** dist/main.js of the image: `node <mainFile>` starts the gateway. */
  mainFile: string;
  /** dist/llm-stream-worker.js, the LLM stream threads' entry, beside it. */
  workerFile: string;
}

/**
 * A fresh folder beside gateway/dist (`gateway/<prefix>XXXXXX`), so that a bundle built into it resolves
 * its bare imports as the image's /app/gateway/dist does: in gateway/node_modules (where npm may keep a
 * package of the gateway's), then in the repository's node_modules. The caller removes it.
 */
export function bundleFolder(prefix: string): string {
  return mkdtempSync(join(gatewayDir, prefix));
}

/** Runs the Dockerfile's esbuild step (`run`, when the caller has it already) with its output in `outDir`. */
export function buildGatewayBundle(outDir: string, run: string = esbuildStep()): GatewayBundle {
  const command = run.replace('--outdir=gateway/dist', `--outdir=${outDir}`);
  if (command === run)
    throw new Error('the esbuild step of gateway/Dockerfile no longer writes into gateway/dist');
  const built = spawnSync('sh', ['-c', command], { cwd: repoRoot, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`the gateway bundle did not build:\n${command}\n${built.stderr}`);
  return { mainFile: join(outDir, 'main.js'), workerFile: join(outDir, 'llm-stream-worker.js') };
}
