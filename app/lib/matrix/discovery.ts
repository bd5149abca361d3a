// Finds the client-server API base URL from what the person typed: a full URL, a host[:port], or
// a Matrix server name with `.well-known/matrix/client` delegation.

import { FriendlyError } from './errors';

type Fetch = typeof fetch;

const TIMEOUT_MS = 8000;

async function getJson(fetchFn: Fetch, url: string): Promise<unknown> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await fetchFn(url, {
      signal: controller.signal,
      headers: { Accept: 'application/json' },
    });
    if (!response.ok) return undefined;
    return await response.json();
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

async function isHomeserver(fetchFn: Fetch, baseUrl: string): Promise<boolean> {
  const body = (await getJson(fetchFn, `${baseUrl}/_matrix/client/versions`)) as
    | { versions?: unknown }
    | undefined;
  return Array.isArray(body?.versions);
}

async function wellKnownBaseUrl(fetchFn: Fetch, origin: string): Promise<string | undefined> {
  const body = (await getJson(fetchFn, `${origin}/.well-known/matrix/client`)) as
    | { 'm.homeserver'?: { base_url?: unknown } }
    | undefined;
  const baseUrl = body?.['m.homeserver']?.base_url;
  return typeof baseUrl === 'string' && baseUrl ? stripSlash(baseUrl) : undefined;
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The candidate origins for what was typed, in the order they are tried. */
export function candidateOrigins(input: string): string[] {
  const text = stripSlash(input.trim());
  if (!text) return [];
  if (/^https?:\/\//i.test(text)) return [text];
  const isLocal = /^(localhost|127\.|\[::1\])/i.test(text);
  return isLocal ? [`http://${text}`, `https://${text}`] : [`https://${text}`, `http://${text}`];
}

/** Resolves what was typed to a homeserver base URL, or throws a FriendlyError. */
export async function discoverHomeserver(input: string, fetchFn: Fetch = fetch): Promise<string> {
  const origins = candidateOrigins(input);
  if (origins.length === 0) throw new FriendlyError('Enter your homeserver address.', 'no_homeserver');
  for (const origin of origins) {
    const delegated = await wellKnownBaseUrl(fetchFn, origin);
    if (delegated && (await isHomeserver(fetchFn, delegated))) return delegated;
    if (await isHomeserver(fetchFn, origin)) return origin;
  }
  throw new FriendlyError(
    `Can't reach a Matrix homeserver at ${input.trim()}. Check the address and your connection.`,
    'unreachable',
  );
}
