// Renders the local homeserver's configuration: server/homeserver.yaml (the production template) with
// the local overlay's top-level keys in place of the template's, a database section for SQLite or
// PostgreSQL, and the run's application-service registrations.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { homeserverTemplatePath } from '@clawchat/server/paths';
import { renderTemplate } from '@clawchat/server/render';
import { parse, stringify } from 'yaml';
import { localOverlayPath } from '../paths.ts';
import { type PostgresTarget, parseDatabaseUrl } from './database.ts';

/** Where the instance's folder appears inside the Debian root. */
export const ROOT_INSTANCE_DIR = '/clawchat/synapse';

export interface LocalConfigOptions {
  /** The instance's folder on the machine: config, keys, SQLite database, media, logs. */
  instanceDir: string;
  port: number;
  serverName?: string;
  /** PostgreSQL when set, SQLite in the instance folder otherwise. */
  databaseUrl?: string;
  /** Registration files to load; copied into the instance folder at each render. */
  appserviceFiles?: string[];
  /** Extra top-level keys (tests, benchmarks). */
  extra?: Record<string, unknown>;
}

export interface LocalSecrets {
  registrationSharedSecret: string;
  macaroonSecretKey: string;
  formSecret: string;
}

export interface RenderedConfig {
  configPath: string;
  secrets: LocalSecrets;
  database: { kind: 'sqlite' } | { kind: 'postgres'; target: PostgresTarget };
  text: string;
}

/** Secrets are made once per instance folder and kept, so restarts keep sessions and users. */
export function loadOrCreateSecrets(instanceDir: string): LocalSecrets {
  const path = join(instanceDir, 'secrets.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as LocalSecrets;
  const secret = () => randomBytes(32).toString('base64url');
  const secrets = { registrationSharedSecret: secret(), macaroonSecretKey: secret(), formSecret: secret() };
  writeFileSync(path, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

export const LOG_CONFIG = `version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(message)s'
handlers:
  console:
    class: logging.StreamHandler
    formatter: precise
loggers:
  synapse.storage.SQL:
    level: WARNING
  twisted:
    level: WARNING
root:
  level: INFO
  handlers: [console]
disable_existing_loggers: false
`;

function databaseSection(options: LocalConfigOptions): RenderedConfig['database'] & { yaml: unknown } {
  if (!options.databaseUrl) {
    return {
      kind: 'sqlite',
      yaml: { name: 'sqlite3', args: { database: `${ROOT_INSTANCE_DIR}/homeserver.db` } },
    };
  }
  const target = parseDatabaseUrl(options.databaseUrl);
  return {
    kind: 'postgres',
    target,
    yaml: {
      name: 'psycopg2',
      args: {
        user: target.user,
        password: target.password,
        dbname: target.database,
        host: target.host,
        port: target.port,
        cp_min: 2,
        cp_max: 10,
      },
    },
  };
}

export function renderLocalConfig(options: LocalConfigOptions): RenderedConfig {
  const dir = options.instanceDir;
  mkdirSync(join(dir, 'appservices'), { recursive: true });
  mkdirSync(join(dir, 'media_store'), { recursive: true });
  const secrets = loadOrCreateSecrets(dir);
  const serverName = options.serverName ?? 'localhost';
  const database = databaseSection(options);

  const env = {
    DOMAIN: serverName,
    SYNAPSE_PUBLIC_BASEURL: `http://localhost:${options.port}/`,
    SYNAPSE_PORT: String(options.port),
    SYNAPSE_DATA_DIR: ROOT_INSTANCE_DIR,
    SYNAPSE_CONFIG_DIR: ROOT_INSTANCE_DIR,
    SYNAPSE_APPSERVICE_DIR: `${ROOT_INSTANCE_DIR}/appservices`,
    SYNAPSE_REGISTRATION_SHARED_SECRET: secrets.registrationSharedSecret,
    SYNAPSE_MACAROON_SECRET_KEY: secrets.macaroonSecretKey,
    SYNAPSE_FORM_SECRET: secrets.formSecret,
    // The template's PostgreSQL block is replaced below; these only satisfy its placeholders.
    POSTGRES_PASSWORD: database.kind === 'postgres' ? database.target.password || 'unused' : 'unused',
  };
  const template = parse(
    renderTemplate(readFileSync(homeserverTemplatePath, 'utf8'), env, 'server/homeserver.yaml'),
  );
  const overlay = parse(renderTemplate(readFileSync(localOverlayPath, 'utf8'), env, 'local-overlay.yaml'));

  const appserviceFiles = (options.appserviceFiles ?? []).map((file) => {
    const name = basename(file);
    copyFileSync(file, join(dir, 'appservices', name));
    return `${ROOT_INSTANCE_DIR}/appservices/${name}`;
  });

  const config = {
    ...template,
    ...overlay,
    database: database.yaml,
    app_service_config_files: appserviceFiles,
    ...options.extra,
  };
  const text = `# Rendered by tools/local-synapse from server/homeserver.yaml and config/local-overlay.yaml. Do not edit: it is rewritten at each start.\n${stringify(config)}`;
  const configPath = join(dir, 'homeserver.yaml');
  writeFileSync(configPath, text);
  writeFileSync(join(dir, 'log.config'), LOG_CONFIG);
  const { yaml: _yaml, ...databaseInfo } = database;
  return { configPath, secrets, database: databaseInfo as RenderedConfig['database'], text };
}
