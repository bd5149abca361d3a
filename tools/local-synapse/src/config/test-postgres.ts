// The PostgreSQL server tests and benchmarks create their databases on: CLAWCHAT_TEST_POSTGRES, by
// default this machine's (postgres on 127.0.0.1:5432, no password), started when it is down, never
// skipped. Each caller creates (and drops) a database of its own on it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import pg from 'pg';
import { redactUrl } from './database.ts';

export const DEFAULT_TEST_POSTGRES = 'postgres://postgres@127.0.0.1:5432';

/** The server's URL, without a database (and without a trailing slash). */
export function testPostgresBase(env: NodeJS.ProcessEnv = process.env): string {
  return (env.CLAWCHAT_TEST_POSTGRES || DEFAULT_TEST_POSTGRES).replace(/\/+$/, '');
}

/** The URL of one database on that server. */
export function testPostgresUrl(database: string, env: NodeJS.ProcessEnv = process.env): string {
  return `${testPostgresBase(env)}/${database}`;
}

async function reachable(base: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: `${base}/postgres`, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Makes sure the server answers. When it is this machine's (127.0.0.1 or localhost) and down, starts
 * its Debian cluster with pg_ctlcluster; otherwise says what is wrong.
 */
export async function ensureTestPostgres(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const base = testPostgresBase(env);
  if (await reachable(base)) return;
  const { hostname } = new URL(base);
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(hostname);
  const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').sort() : [];
  if (!local || versions.length === 0) {
    throw new Error(
      `PostgreSQL is not reachable at ${redactUrl(base)}` +
        (local
          ? ' and none is installed here: apt-get install postgresql (.ci/run does), or set CLAWCHAT_TEST_POSTGRES'
          : ' (CLAWCHAT_TEST_POSTGRES): start that server or unset the variable to use this machine’s'),
    );
  }
  const version = versions.at(-1) as string;
  spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
  for (let i = 0; i < 40; i += 1) {
    if (await reachable(base)) return;
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 250));
  }
  throw new Error(
    `PostgreSQL is not reachable at ${redactUrl(base)} and could not be started ` +
      `(pg_ctlcluster ${version} main start); the tests connect as postgres without a password.`,
  );
}
