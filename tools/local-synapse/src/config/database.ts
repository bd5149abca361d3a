// DATABASE_URL for the local homeserver: validated with a clear message, and the database created with
// the C collation Synapse requires (Synapse refuses other locales on PostgreSQL).
import pg from 'pg';

export interface PostgresTarget {
  user: string;
  password: string;
  host: string;
  port: number;
  database: string;
}

export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError';
}

/** The URL with its password hidden, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

export function parseDatabaseUrl(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseUrlError(
      `DATABASE_URL is not a URL: "${redactUrl(url)}". Expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`,
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DatabaseUrlError(
      `DATABASE_URL must start with postgres:// or postgresql:// (got "${parsed.protocol}//"); ` +
        'Synapse supports PostgreSQL, and SQLite when DATABASE_URL is unset.',
    );
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!parsed.hostname) throw new DatabaseUrlError(`DATABASE_URL has no host: "${redactUrl(url)}"`);
  if (!database || database.includes('/')) {
    throw new DatabaseUrlError(`DATABASE_URL has no database name after the host: "${redactUrl(url)}"`);
  }
  const port = parsed.port ? Number(parsed.port) : 5432;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DatabaseUrlError(`DATABASE_URL has an invalid port: "${parsed.port}"`);
  }
  return {
    user: decodeURIComponent(parsed.username || 'postgres'),
    password: decodeURIComponent(parsed.password),
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port,
    database,
  };
}

async function connectMaintenance(target: PostgresTarget): Promise<pg.Client> {
  let lastError: unknown;
  for (const database of ['postgres', 'template1']) {
    const client = new pg.Client({ ...target, database, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
      return client;
    } catch (error) {
      lastError = error;
      await client.end().catch(() => {});
      const code = (error as { code?: string }).code;
      if (code !== '3D000') break; // only "database does not exist" is worth the next candidate
    }
  }
  const error = lastError as { code?: string; message?: string };
  throw new DatabaseUrlError(
    `cannot connect to PostgreSQL at ${target.host}:${target.port} as ${target.user}: ` +
      `${error.code ? `${error.code} ` : ''}${error.message ?? String(lastError)}. Is it running, and does DATABASE_URL name the right user and password?`,
  );
}

/** Creates the database (UTF8, C collation) when missing; refuses an existing one with another collation. */
export async function ensureDatabase(target: PostgresTarget): Promise<'created' | 'existing'> {
  const client = await connectMaintenance(target);
  try {
    const found = await client.query<{ datcollate: string; datctype: string }>(
      'SELECT datcollate, datctype FROM pg_database WHERE datname = $1',
      [target.database],
    );
    const row = found.rows[0];
    if (row) {
      if (row.datcollate !== 'C' || row.datctype !== 'C') {
        throw new DatabaseUrlError(
          `database "${target.database}" has collation ${row.datcollate}/${row.datctype}, but Synapse needs C/C. ` +
            'Name a new database in DATABASE_URL (it is created with C collation) or recreate this one.',
        );
      }
      return 'existing';
    }
    const name = `"${target.database.replace(/"/g, '""')}"`;
    await client.query(
      `CREATE DATABASE ${name} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`,
    );
    return 'created';
  } finally {
    await client.end().catch(() => {});
  }
}

export async function dropDatabase(target: PostgresTarget): Promise<void> {
  const client = await connectMaintenance(target);
  try {
    await client.query(`DROP DATABASE IF EXISTS "${target.database.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end().catch(() => {});
  }
}
