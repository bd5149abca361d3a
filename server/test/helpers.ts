// What the deployment checks share: the files of server/, their YAML, .env.example's variables, and
// Docker Compose's interpolation of ${VAR}, ${VAR:-default} and ${VAR:?message} from an .env.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseEnvFile } from '../scripts/init.ts';
import { serverDir } from '../scripts/paths.mjs';

export { serverDir };
export const repoRoot = join(serverDir, '..');
export const k8sDir = join(serverDir, 'k8s');

export function read(path: string): string {
  return readFileSync(join(serverDir, path), 'utf8');
}

/** Every document of a YAML file; throws naming the file on a syntax error. */
export function yamlDocuments(path: string): unknown[] {
  const text = readFileSync(path, 'utf8');
  const docs = parseAllDocuments(text);
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      throw new Error(`${relative(repoRoot, path)}: ${doc.errors.map((e) => e.message).join('; ')}`);
    }
    const value = doc.toJS();
    if (value != null) out.push(value);
  }
  return out;
}

/** Files under a folder, recursively, as paths relative to it. */
export function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? listFiles(dir, path) : [path];
  });
}

/** The variables .env.example names (KEY=... lines). */
export function envExampleNames(): Set<string> {
  return new Set(parseEnvFile(read('.env.example')).keys());
}

const COMPOSE_VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^{}]|\{[^{}]*\})*))?\}/g;

/** The variables a compose file interpolates (`$$` is a literal dollar sign, not a variable). */
export function composeVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.replaceAll('$$', '').matchAll(COMPOSE_VAR)) names.add(match[1]!);
  return names;
}

/** Docker Compose's interpolation of one value with the variables of an .env. */
export function interpolate(value: string, env: Map<string, string>): string {
  return value
    .replaceAll('$$', '\u0000')
    .replace(COMPOSE_VAR, (_m, name: string, op?: string, arg?: string) => {
      const set = env.get(name);
      if (op === ':-') return set ? set : (arg ?? '');
      if (op === '-') return set ?? arg ?? '';
      if (op === ':?' && !set) throw new Error(`compose: ${name} is required: ${arg}`);
      return set ?? '';
    })
    .replaceAll('\u0000', '$');
}

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  container_name?: string;
  restart?: string;
  user?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
  entrypoint?: string[];
  network_mode?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

export function composeFile(): ComposeFile {
  return yamlDocuments(join(serverDir, 'docker-compose.yml'))[0] as ComposeFile;
}

/** A Kubernetes object as the checks look at it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are walked generically
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: manifests are walked generically
  [key: string]: any;
}
