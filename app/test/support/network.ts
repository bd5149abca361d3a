// Cuts one client off the homeserver the way a lost network would: the requests it makes with its
// access token, to the paths given, fail as fetch fails offline (a TypeError); every other request
// goes through. matrix-js-sdk calls the global fetch for each request, so this sits in front of it.
const realFetch = globalThis.fetch;
const cuts = new Set<{ token: string; path: RegExp; failed: number }>();

/** Requests under way, with the signal that would abort them. */
const pending = new Set<{ auth: string | undefined; pathname: string; signal: AbortSignal | undefined }>();

globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
  const url = input instanceof Request ? input.url : String(input);
  const auth = (init?.headers as Record<string, string> | undefined)?.Authorization;
  const { pathname } = new URL(url);
  for (const cut of cuts) {
    if (auth === `Bearer ${cut.token}` && cut.path.test(pathname)) {
      cut.failed += 1;
      return Promise.reject(new TypeError('fetch failed'));
    }
  }
  const request = { auth, pathname, signal: init?.signal ?? undefined };
  pending.add(request);
  return realFetch(input, init).finally(() => pending.delete(request));
}) as typeof fetch;

/** The abort signals of the client's requests to matching paths still under way. */
export function requestsUnderWay(accessToken: string, path: RegExp): (AbortSignal | undefined)[] {
  return [...pending]
    .filter((r) => r.auth === `Bearer ${accessToken}` && path.test(r.pathname))
    .map((r) => r.signal);
}

export interface Cut {
  /** Requests failed so far. */
  failures(): number;
  restore(): void;
}

/** Fails the client's requests to matching paths until restored. */
export function cutOff(accessToken: string, path: RegExp): Cut {
  const cut = { token: accessToken, path, failed: 0 };
  cuts.add(cut);
  return { failures: () => cut.failed, restore: () => cuts.delete(cut) };
}
