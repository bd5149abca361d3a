// The Debian archive address comes from this machine's own apt sources, never from the repository:
// whatever mirror or proxy the machine is set up with is the one the Debian root uses.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AptSource {
  uri: string;
  suites: string[];
  file: string;
}

/** Parses deb822 `.sources` stanzas (Types/URIs/Suites/Enabled). */
export function parseDeb822(text: string, file: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let current = '';
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      const continuation = /^\s/.test(line);
      if (continuation && current) {
        fields.set(current, `${fields.get(current)} ${line.trim()}`);
        continue;
      }
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      current = line.slice(0, colon).trim().toLowerCase();
      fields.set(current, line.slice(colon + 1).trim());
    }
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    if ((fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue;
    const suites = (fields.get('suites') ?? '').split(/\s+/).filter(Boolean);
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) {
      sources.push({ uri, suites, file });
    }
  }
  return sources;
}

/** Parses one-line `deb [options] URI suite components...` entries. */
export function parseOneLine(text: string, file: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const match = line.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/);
    if (match?.[1] && match[2]) sources.push({ uri: match[1], suites: [match[2]], file });
  }
  return sources;
}

export function readAptSources(etcApt = '/etc/apt'): AptSource[] {
  const sources: AptSource[] = [];
  const listFile = join(etcApt, 'sources.list');
  if (existsSync(listFile)) sources.push(...parseOneLine(readFileSync(listFile, 'utf8'), listFile));
  const dir = join(etcApt, 'sources.list.d');
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (name.endsWith('.sources')) sources.push(...parseDeb822(readFileSync(path, 'utf8'), path));
      else if (name.endsWith('.list')) sources.push(...parseOneLine(readFileSync(path, 'utf8'), path));
    }
  }
  return sources;
}

/**
 * The machine's main Debian archive: the first source that is not a security or updates archive and
 * serves a Debian suite. `CLAWCHAT_DEBIAN_MIRROR` overrides it.
 */
export function debianArchiveUri(env: NodeJS.ProcessEnv = process.env, etcApt = '/etc/apt'): string {
  if (env.CLAWCHAT_DEBIAN_MIRROR) return env.CLAWCHAT_DEBIAN_MIRROR;
  const debianSuite = /^(sid|unstable|testing|stable|oldstable|bookworm|trixie|forky|bullseye|duke)$/;
  const candidates = readAptSources(etcApt).filter(
    (source) => !/security/.test(source.uri) && source.suites.some((suite) => debianSuite.test(suite)),
  );
  const chosen = candidates[0];
  if (!chosen) {
    throw new Error(
      `No Debian archive found in ${etcApt}/sources.list or ${etcApt}/sources.list.d/. ` +
        'Set CLAWCHAT_DEBIAN_MIRROR to the archive URL your machine uses.',
    );
  }
  return chosen.uri;
}
