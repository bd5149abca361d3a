// Where a stream thread's code comes from. Beside the image's bundle, `dist/llm-stream-worker.js`. From
// the sources (`npm start`, the tests), `stream-worker.ts` bundled on the spot with esbuild the way the
// Dockerfile bundles it (the gateway's own modules in, npm packages left to node_modules), into
// node_modules/.cache. Registering tsx's loader inside each thread instead doubled a thread's start,
// to about 2 s on this project's 2-core machines (a loader thread of its own, every module resolved
// through it).
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BUNDLED = new URL('./llm-stream-worker.js', import.meta.url);
/** Bundles of sources older than this (by their last use) are removed when a new one is written. */
const STALE_AFTER_MS = 24 * 3600_000;

/** The thread's entry module: the image's bundle when there is one, else a bundle of the sources. */
export function streamWorkerUrl(): URL {
  if (existsSync(BUNDLED)) return BUNDLED;
  return pathToFileURL(sourcesBundle());
}

let built: { path: string; code: string } | undefined;

/**
 * Built once a process (each thread started later reuses it), named by its content so that processes
 * started from different sources never load each other's; written again if something removed it.
 */
function sourcesBundle(): string {
  if (!built) {
    const threadsDir = dirname(fileURLToPath(import.meta.url));
    const gatewayDir = join(threadsDir, '..', '..', '..');
    const code = bundleSources(join(threadsDir, 'stream-worker.ts'), gatewayDir);
    const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
    const cacheDir = join(gatewayDir, 'node_modules', '.cache', 'clawchat-stream-worker');
    built = { path: join(cacheDir, `llm-stream-worker-${hash}.mjs`), code };
  }
  const { path, code } = built;
  if (existsSync(path)) {
    const now = new Date();
    utimesSync(path, now, now);
    return path;
  }
  const cacheDir = dirname(path);
  mkdirSync(cacheDir, { recursive: true });
  // Written whole and renamed, so that a process starting beside this one never loads half a file.
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, code);
  renameSync(partial, path);
  removeStale(cacheDir, path);
  return path;
}

function bundleSources(entry: string, gatewayDir: string): string {
  // Loaded only here: esbuild is a development tool (tsx, which runs the sources, brings it too), and a
  // static import would pull it into the image's bundle.
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    legalComments: 'none',
    external: npmDependencies(gatewayDir),
    write: false,
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error(`esbuild wrote nothing for ${entry}`);
  return output.text;
}

/** The npm packages the gateway and @clawchat/common depend on, as the Dockerfile's --external list. */
function npmDependencies(gatewayDir: string): string[] {
  const names = new Set<string>();
  for (const manifest of [
    join(gatewayDir, 'package.json'),
    join(gatewayDir, '..', 'common', 'package.json'),
  ]) {
    const { dependencies = {} } = JSON.parse(readFileSync(manifest, 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const name of Object.keys(dependencies)) if (!name.startsWith('@clawchat/')) names.add(name);
  }
  return [...names];
}

function removeStale(cacheDir: string, keep: string): void {
  const cutoff = Date.now() - STALE_AFTER_MS;
  for (const name of readdirSync(cacheDir)) {
    const file = join(cacheDir, name);
    if (file === keep) continue;
    try {
      if (statSync(file).mtimeMs < cutoff) unlinkSync(file);
    } catch {
      // Removed by another process meanwhile.
    }
  }
}
