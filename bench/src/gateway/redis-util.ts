// Redis helpers for the benchmarks: its process id and CPU seconds (INFO), and removal of a run's keys.
import { execFileSync, spawnSync } from 'node:child_process';

function info(section: string): Record<string, string> {
  const text = execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'info', section], {
    encoding: 'utf8',
    timeout: 5000,
  });
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export function redisPid(): number | undefined {
  try {
    const pid = Number(info('server').process_id);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Redis's own CPU seconds (user + system), from INFO cpu. */
export function redisCpuSeconds(): number | undefined {
  try {
    const cpu = info('cpu');
    return Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys);
  } catch {
    return undefined;
  }
}

/** Deletes the keys under `prefix` (bounded: at most 2,000,000 keys, in batches of 500). */
export function deleteKeys(prefix: string): number {
  const scan = spawnSync(
    'redis-cli',
    ['-h', '127.0.0.1', '-p', '6379', '--scan', '--pattern', `${prefix}*`],
    {
      encoding: 'utf8',
      maxBuffer: 512 * 1024 * 1024,
      timeout: 120_000,
    },
  );
  const keys = scan.stdout
    .split('\n')
    .filter((k) => k.startsWith(prefix))
    .slice(0, 2_000_000);
  let commands = '';
  for (let i = 0; i < keys.length; i += 500) {
    commands += `DEL ${keys
      .slice(i, i + 500)
      .map((k) => `"${k.replace(/(["\\])/g, '\\$1')}"`)
      .join(' ')}\n`;
  }
  if (commands) {
    spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379'], { input: commands, timeout: 120_000 });
  }
  return keys.length;
}
