// Where the local homeserver keeps things. The Debian root is a machine-wide cache (outside the clone,
// shared by every clone); the data of a run lives with the run.
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(packageDir, '..', '..');

/** `CLAWCHAT_CACHE_DIR`, else `$XDG_CACHE_HOME/clawchat`, else `~/.cache/clawchat`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLAWCHAT_CACHE_DIR) return resolve(env.CLAWCHAT_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache');
  return join(base, 'clawchat');
}

/** `CLAWCHAT_DATA_DIR`, else `.data/` at the repository root (git-ignored). */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLAWCHAT_DATA_DIR ? resolve(env.CLAWCHAT_DATA_DIR) : join(repoRoot, '.data');
}

export const localOverlayPath = join(packageDir, 'config', 'local-overlay.yaml');
