// gateway/Dockerfile, without a Docker engine: its instructions parsed (multi-stage, COPY sources that
// exist and that Dockerfile.dockerignore lets into the context, production dependencies only in the
// image, a non-root USER), and its esbuild step run as written, the bundle then started against the
// production node_modules layout until it answers /healthz.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { freePort } from '@clawchat/local-synapse';
import {
  buildGatewayBundle,
  bundleFolder,
  DOCKERFILE,
  type DockerfileStage,
  esbuildStep,
  parseDockerfile,
  runtimeEnv,
} from '../../gateway/scripts/dockerfile-bundle.ts';
import { demoReply } from '../../gateway/src/llm/demo.ts';
import type { FromThread, ToThread } from '../../gateway/src/llm/threads/protocol.ts';
import { givenV8PoolSize } from '../../gateway/src/runtime/gc-threads.ts';
import { init } from '../scripts/init.ts';
import { repoRoot } from './helpers.ts';

/** The .dockerignore semantics the file uses: "*" then "!path" re-includes (and "**\/x" excludes). */
function allowedByDockerignore(ignore: string, path: string): boolean {
  let allowed = true;
  for (const raw of ignore.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    const pattern = (negate ? line.slice(1) : line).replace(/\/$/, '');
    const regex = new RegExp(
      `^${pattern
        .replace(/[.+^$()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '(.*/)?')
        .replace(/(?<!\.)\*/g, '[^/]*')}(/.*)?$`,
    );
    if (regex.test(path)) allowed = negate;
  }
  return allowed;
}

const dockerfile = readFileSync(DOCKERFILE, 'utf8');
const dockerignore = readFileSync(join(repoRoot, 'gateway', 'Dockerfile.dockerignore'), 'utf8');
const { stages } = parseDockerfile(dockerfile);
const final = stages.at(-1)!;

describe('gateway/Dockerfile', () => {
  test('is multi-stage and ends on a Node 20+ slim image', () => {
    assert.ok(stages.length >= 2);
    assert.ok(
      stages.every((s) => s.name),
      'every stage is named',
    );
    const [, major] = /^node:(\d+)[.-].*slim/.exec(final.base) ?? [];
    assert.ok(Number(major) >= 20, `final image ${final.base}`);
  });

  test('runs as a non-root user', () => {
    const users = final.instructions.filter((i) => i.op === 'USER').map((i) => i.args.split(':')[0]);
    assert.ok(users.length > 0, 'the final stage sets USER');
    assert.ok(!['root', '0'].includes(users.at(-1)!), `USER ${users.at(-1)}`);
  });

  test('copies only files that exist and that the .dockerignore sends', () => {
    const names = new Set(stages.map((s) => s.name));
    let copies = 0;
    for (const stage of stages) {
      for (const instruction of stage.instructions.filter((i) => i.op === 'COPY' || i.op === 'ADD')) {
        const parts = instruction.args.split(/\s+/);
        const from = parts.find((p) => p.startsWith('--from='))?.slice(7);
        const paths = parts.filter((p) => !p.startsWith('--'));
        paths.pop(); // destination
        if (from) {
          assert.ok(names.has(from), `COPY --from=${from}: no such stage`);
          continue;
        }
        for (const source of paths) {
          copies += 1;
          assert.ok(existsSync(join(repoRoot, source)), `COPY ${source}: no such file in the repository`);
          assert.ok(
            allowedByDockerignore(dockerignore, source),
            `COPY ${source}: excluded by Dockerfile.dockerignore`,
          );
        }
      }
    }
    assert.ok(copies > 0);
  });

  test('the image gets production dependencies only, and runs node dist/main.js', () => {
    const runs = (stage: DockerfileStage) =>
      stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    assert.ok(!runs(final).some((r) => /npm (ci|install)/.test(r)), 'no npm install in the final stage');
    const sources = final.instructions
      .filter((i) => i.op === 'COPY')
      .map((i) => /--from=(\S+)/.exec(i.args)?.[1]);
    const nodeModulesFrom = final.instructions.find((i) => i.op === 'COPY' && /node_modules/.test(i.args));
    const depsStage = stages.find((s) => s.name === /--from=(\S+)/.exec(nodeModulesFrom!.args)?.[1])!;
    assert.ok(
      runs(depsStage).some((r) => /npm ci .*--omit=dev/.test(r)),
      'node_modules come from npm ci --omit=dev',
    );
    assert.ok(sources.every(Boolean), 'the final stage copies from other stages only');
    const cmd = final.instructions.find((i) => i.op === 'CMD')!;
    assert.deepEqual(JSON.parse(cmd.args), ['node', 'dist/main.js']);
    assert.ok(final.instructions.some((i) => i.op === 'WORKDIR' && i.args === '/app/gateway'));
  });

  test("the runtime's ENV is read as Docker reads it; node gets one V8 helper thread for GC", () => {
    const { stages: sample } = parseDockerfile(
      [
        'FROM node:22-bookworm-slim AS runtime',
        'ENV A=1 \\',
        '    B="two words" C=',
        'ENV LEGACY some value',
        'ENV Q="say \\"hi\\""',
      ].join('\n'),
    );
    assert.deepEqual(runtimeEnv(sample), {
      A: '1',
      B: 'two words',
      C: '',
      LEGACY: 'some value',
      Q: 'say "hi"',
    });
    const env = runtimeEnv(stages);
    assert.equal(env.NODE_ENV, 'production');
    assert.match(env.NODE_OPTIONS ?? '', /--enable-source-maps/);
    // src/runtime/gc-threads.ts says why; the benchmarks start the bundle with this NODE_OPTIONS.
    assert.equal(givenV8PoolSize([], env.NODE_OPTIONS), 1);
  });

  test('its esbuild step bundles src/main.ts and the LLM stream thread; the bundle serves /healthz, the thread streams', {
    timeout: 120_000,
  }, async () => {
    const run = esbuildStep(stages);
    assert.match(run, /gateway\/src\/main\.ts/);
    assert.ok(existsSync(join(repoRoot, 'gateway', 'src', 'main.ts')));
    // The RUN line as written, with the output redirected into a scratch folder beside gateway/dist
    // (where the bundle's bare imports resolve as in the image).
    const scratch = bundleFolder('.bundle-test-');
    const work = mkdtempSync(join(tmpdir(), 'clawchat-bundle-'));
    let child: ChildProcess | undefined;
    try {
      const { mainFile: outfile, workerFile } = buildGatewayBundle(scratch, run);
      const bundle = readFileSync(outfile, 'utf8');
      assert.doesNotMatch(bundle, /from ["']@clawchat\//, '@clawchat/common is bundled, not imported');
      // The stream thread's entry lies beside main.js, where the gateway looks for it, and streams.
      assert.ok(existsSync(workerFile), 'dist/llm-stream-worker.js is built');
      assert.equal(
        await streamThroughBundledThread(workerFile),
        demoReply([{ role: 'user', content: 'hello' }]),
      );

      const { registrationPath } = init({ outDir: join(work, 'server'), domain: 'chat.example.org' });
      mkdirSync(join(work, 'run'), { recursive: true });
      const port = await freePort();
      child = spawn(process.execPath, [outfile], {
        cwd: scratch,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'production',
          NODE_OPTIONS: runtimeEnv(stages).NODE_OPTIONS,
          GATEWAY_HOST: '127.0.0.1',
          GATEWAY_PORT: String(port),
          GATEWAY_REGISTRATION_FILE: registrationPath,
          MATRIX_HOMESERVER_URL: 'http://127.0.0.1:9',
          MATRIX_SERVER_NAME: 'chat.example.org',
          LLM_PROVIDER: 'demo',
          LOG_LEVEL: 'error',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (chunk) => {
        stderr += chunk;
      });
      const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
      let healthy = false;
      while (!healthy && child.exitCode === null) {
        healthy = await fetch(`http://127.0.0.1:${port}/healthz`)
          .then((r) => r.ok)
          .catch(() => false);
        if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(
        healthy,
        `the bundled gateway exited (${child.exitCode}) before answering /healthz:\n${stderr}`,
      );
      child.kill('SIGTERM');
      await exited;
    } finally {
      child?.kill('SIGKILL');
      rmSync(scratch, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    }
  });
});

/** One demo reply streamed by the bundled LLM stream thread, as the gateway's main thread drives it. */
async function streamThroughBundledThread(file: string): Promise<string> {
  const worker = new Worker(file, { workerData: { name: 'demo', demoDelayMs: 0 } });
  try {
    return await new Promise<string>((resolve, reject) => {
      let text = '';
      worker.on('error', reject);
      worker.on('message', (m: FromThread) => {
        if (m.t !== 'batch') return;
        for (const [, t] of m.text) text += t;
        for (const [, error] of m.ends) error ? reject(new Error(JSON.stringify(error))) : resolve(text);
      });
      worker.postMessage({
        t: 'start',
        id: 1,
        request: { model: 'demo', messages: [{ role: 'user', content: 'hello' }], maxTokens: 100 },
      } satisfies ToThread);
    });
  } finally {
    await worker.terminate();
  }
}
