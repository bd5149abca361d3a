// server:init: writes server/.env from .env.example with fresh random secrets, and the gateway's
// application-service registration (server/appservices/clawdbot.yaml) holding the same tokens, which
// docker-compose.yml and the Kubernetes secrets mount. With --k8s it also writes k8s/secrets.yaml, the
// Secrets of server/k8s filled from the same .env.
//
// Re-running it is safe: an existing .env keeps its values (only empty secrets and variables that a
// newer .env.example added are filled), and the registration is rewritten from the .env's tokens.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createRegistration, renderRegistration } from '@clawchat/common/appservice-registration';
import { parseAllDocuments, stringify } from 'yaml';
import { serverDir } from './paths.mjs';

/** The gateway as the homeserver reaches it: the Compose service and the Kubernetes Service are both `clawdbot`. */
export const GATEWAY_URL = 'http://clawdbot:9000';
/** The same defaults as the gateway's own `register` command. */
export const APPSERVICE_ID = 'clawchat-gateway';
export const BOT_LOCALPART = 'clawbot';
/** Where the registration is written, relative to server/: docker-compose.yml mounts this file. */
export const REGISTRATION_PATH = 'appservices/clawdbot.yaml';

/** Variables server:init fills with fresh random values when empty. */
export const GENERATED_SECRETS = [
  'POSTGRES_PASSWORD',
  'REDIS_PASSWORD',
  'SYNAPSE_REGISTRATION_SHARED_SECRET',
  'SYNAPSE_MACAROON_SECRET_KEY',
  'SYNAPSE_FORM_SECRET',
  'SYNAPSE_WORKER_REPLICATION_SECRET',
  'AS_TOKEN',
  'HS_TOKEN',
] as const;

/** 256 bits in hex: safe in a URL (REDIS_URL), a command line (redis-server) and YAML. */
export function randomSecret(): string {
  return randomBytes(32).toString('hex');
}

/**
 * A Synapse signing key ("ed25519 <key id> <unpadded base64 seed>"), the format Synapse's
 * generate_signing_key writes.
 */
export function generateSigningKey(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(String(jwk.d), 'base64url').toString('base64').replace(/=+$/, '');
  const keyId = `a_${randomBytes(2).toString('hex')}`;
  return `ed25519 ${keyId} ${seed}\n`;
}

export type EnvMap = Map<string, string>;

/** KEY=value lines (no quoting, no expansion: what docker compose reads from .env). */
export function parseEnvFile(text: string): EnvMap {
  const env: EnvMap = new Map();
  for (const line of text.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) env.set(match[1]!, match[2]!);
  }
  return env;
}

/** The example's lines (comments and order kept) with the given values in place. */
export function fillEnvTemplate(example: string, values: EnvMap): string {
  return example
    .split('\n')
    .map((line) => {
      const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (!match) return line;
      const name = match[1]!;
      return values.has(name) ? `${name}=${values.get(name)}` : line;
    })
    .join('\n');
}

export interface InitOptions {
  /** Folder to write .env, appservices/ and k8s/secrets.yaml into (default: server/). */
  outDir?: string;
  domain?: string;
  /** Start from scratch: new secrets for everything (destroys access to existing data). */
  force?: boolean;
  k8s?: boolean;
}

export interface InitResult {
  envPath: string;
  registrationPath: string;
  secretsPath?: string;
  env: EnvMap;
  created: boolean;
}

function domainProblem(domain: string): string | undefined {
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(domain)) {
    return `"${domain}" is not a domain name such as chat.example.org`;
  }
  return undefined;
}

export function init(options: InitOptions = {}): InitResult {
  const outDir = resolve(options.outDir ?? serverDir);
  const example = readFileSync(join(serverDir, '.env.example'), 'utf8');
  const envPath = join(outDir, '.env');
  const created = options.force || !existsSync(envPath);
  const existing = created ? new Map<string, string>() : parseEnvFile(readFileSync(envPath, 'utf8'));

  const values: EnvMap = new Map(parseEnvFile(example));
  for (const [name, value] of existing) values.set(name, value);

  const domain = options.domain ?? (created ? undefined : existing.get('DOMAIN'));
  if (!domain) {
    throw new Error('no domain: pass --domain chat.example.org (the part after ":" in your Matrix user ids)');
  }
  const problem = domainProblem(domain);
  if (problem) throw new Error(`--domain: ${problem}`);
  if (!created && existing.get('DOMAIN') && existing.get('DOMAIN') !== domain) {
    throw new Error(
      `${envPath} is for ${existing.get('DOMAIN')}; a Matrix server's name cannot change once it has users. ` +
        'Use --force to start over with new secrets (existing data becomes unusable).',
    );
  }
  values.set('DOMAIN', domain);
  for (const name of GENERATED_SECRETS) if (!values.get(name)) values.set(name, randomSecret());

  // Extra variables of an older .env that the example no longer has are kept at the end.
  let text = fillEnvTemplate(example, values);
  const exampleNames = new Set(parseEnvFile(example).keys());
  const extras = [...existing].filter(([name]) => !exampleNames.has(name));
  if (extras.length > 0) {
    text += `\n# Kept from the previous .env\n${extras.map(([n, v]) => `${n}=${v}`).join('\n')}\n`;
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(envPath, text, { mode: 0o600 });

  const registration = createRegistration({
    id: APPSERVICE_ID,
    url: GATEWAY_URL,
    senderLocalpart: BOT_LOCALPART,
    serverName: domain,
    asToken: values.get('AS_TOKEN')!,
    hsToken: values.get('HS_TOKEN')!,
  });
  const registrationPath = join(outDir, REGISTRATION_PATH);
  mkdirSync(dirname(registrationPath), { recursive: true });
  writeFileSync(registrationPath, renderRegistration(registration), { mode: 0o600 });

  const result: InitResult = { envPath, registrationPath, env: values, created };
  if (options.k8s) {
    result.secretsPath = join(outDir, 'k8s', 'secrets.yaml');
    mkdirSync(dirname(result.secretsPath), { recursive: true });
    // The signing key is made once: events and tokens are signed with it.
    const existingKey = existsSync(result.secretsPath)
      ? readSigningKey(readFileSync(result.secretsPath, 'utf8'))
      : undefined;
    const signingKey = options.force || !existingKey ? generateSigningKey() : existingKey;
    writeFileSync(
      result.secretsPath,
      renderK8sSecrets(values, renderRegistration(registration), signingKey),
      { mode: 0o600 },
    );
  }
  return result;
}

export function readSigningKey(secretsYaml: string): string | undefined {
  for (const doc of parseAllDocuments(secretsYaml)) {
    const value = doc.toJS() as { metadata?: { name?: string }; stringData?: Record<string, string> } | null;
    const key =
      value?.metadata?.name === 'synapse-signing-key' ? value.stringData?.['signing.key'] : undefined;
    if (key?.startsWith('ed25519 ')) return key.endsWith('\n') ? key : `${key}\n`;
  }
  return undefined;
}

/** The Secrets of server/k8s (same names and keys as k8s/secrets.example.yaml). */
export function renderK8sSecrets(env: EnvMap, registrationText: string, signingKey: string): string {
  const secret = (name: string, stringData: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'clawchat', labels: { 'app.kubernetes.io/part-of': 'clawchat' } },
    type: 'Opaque',
    stringData,
  });
  const pick = (...names: string[]) => Object.fromEntries(names.map((n) => [n, env.get(n) ?? '']));
  const docs = [
    secret(
      'clawchat-secrets',
      pick(
        'POSTGRES_PASSWORD',
        'REDIS_PASSWORD',
        'SYNAPSE_REGISTRATION_SHARED_SECRET',
        'SYNAPSE_MACAROON_SECRET_KEY',
        'SYNAPSE_FORM_SECRET',
        'SYNAPSE_WORKER_REPLICATION_SECRET',
      ),
    ),
    secret('clawdbot-llm', pick('ANTHROPIC_API_KEY', 'OPENAI_API_KEY')),
    secret('synapse-signing-key', { 'signing.key': signingKey }),
    secret('clawdbot-registration', { 'clawdbot.yaml': registrationText }),
  ];
  return `# Written by server:init --k8s from server/.env. Secret: never commit it. Apply with\n#   kubectl apply -f server/k8s/secrets.yaml\n${docs
    .map((doc) => stringify(doc))
    .join('---\n')}`;
}

const USAGE = `usage: npm run server:init -- --domain chat.example.org [--k8s] [--force]
  --domain   your Matrix server name: user ids are @name:DOMAIN, Synapse is served at matrix.DOMAIN
  --k8s      also write k8s/secrets.yaml (the Kubernetes Secrets) from the same values
  --force    start over: new secrets for everything (existing data and users become unusable)
  --out-dir  write .env, appservices/ and k8s/secrets.yaml there instead of server/`;

function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      domain: { type: 'string' },
      k8s: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      'out-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const result = init({
    domain: values.domain,
    k8s: values.k8s,
    force: values.force,
    outDir: values['out-dir'],
  });
  // npm runs scripts in server/; INIT_CWD is where the command was typed.
  const shown = (path: string) => relative(process.env.INIT_CWD ?? process.cwd(), path) || path;
  console.log(`${result.created ? 'wrote' : 'kept and completed'} ${shown(result.envPath)}`);
  console.log(`wrote ${shown(result.registrationPath)} (the gateway's appservice registration)`);
  if (result.secretsPath) console.log(`wrote ${shown(result.secretsPath)} (kubectl apply -f it)`);
  console.log(
    `Next: set ANTHROPIC_API_KEY (or OPENAI_*) in ${shown(result.envPath)}, then: cd server && docker compose up -d`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`server:init: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(1);
  }
}
