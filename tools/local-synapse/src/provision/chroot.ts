// Runs a command inside the Debian root. A private mount namespace (unshare -m) holds /proc, /dev
// and the bind mounts of the run's folders, so they vanish with the process: nothing is left mounted
// on the machine, however the process ends, and concurrent homeservers do not see each other's mounts.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface BindMount {
  /** Folder on the machine. */
  host: string;
  /** Absolute path inside the root. */
  target: string;
}

export interface RootCommand {
  root: string;
  argv: string[];
  binds?: BindMount[];
  env?: Record<string, string>;
  stdio?: SpawnOptions['stdio'];
}

const MOUNT_SCRIPT = `
set -e
root="$CLAWCHAT_ROOT"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
i=0
while [ "$i" -lt "$CLAWCHAT_BIND_COUNT" ]; do
  eval "src=\\$CLAWCHAT_BIND_SRC_$i; dst=\\$CLAWCHAT_BIND_DST_$i"
  mount --bind "$src" "$root$dst"
  i=$((i + 1))
done
exec chroot "$root" "$@"
`;

/** Environment for the chrooted command: a clean, predictable one (the machine's is not passed in). */
const BASE_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  HOME: '/root',
  DEBIAN_FRONTEND: 'noninteractive',
  PYTHONUNBUFFERED: '1',
};

export function spawnInRoot(command: RootCommand): ChildProcess {
  const binds = command.binds ?? [];
  const env: Record<string, string> = {
    ...BASE_ENV,
    ...command.env,
    CLAWCHAT_ROOT: command.root,
    CLAWCHAT_BIND_COUNT: String(binds.length),
  };
  binds.forEach((bind, i) => {
    mkdirSync(join(command.root, bind.target), { recursive: true });
    env[`CLAWCHAT_BIND_SRC_${i}`] = bind.host;
    env[`CLAWCHAT_BIND_DST_${i}`] = bind.target;
  });
  return spawn(
    'unshare',
    ['--mount', '--propagation', 'private', '--', 'sh', '-c', MOUNT_SCRIPT, 'clawchat-root', ...command.argv],
    { env, stdio: command.stdio ?? 'pipe' },
  );
}

export interface RunResult {
  code: number;
  output: string;
}

/** Runs to completion, collecting stdout and stderr; `onLine` sees each line as it comes (progress). */
export function runInRoot(command: RootCommand, onLine?: (line: string) => void): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnInRoot({ ...command, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let partial = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      if (output.length > 200_000) output = output.slice(-100_000);
      if (!onLine) return;
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) onLine(line);
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? 1, output }));
  });
}
