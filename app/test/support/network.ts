// Cuts one client off the homeserver the way a lost network would: the requests it makes with its
// access token, to the paths given, fail as fetch fails offline (a TypeError); every other request
// goes through. matrix-js-sdk calls the global fetch for each request, so this sits in front of it.
const realFetch = globalThis.fetch;
const cuts = new Set<{ token: string; path: RegExp }>();

globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
  const url = input instanceof Request ? input.url : String(input);
  const auth = (init?.headers as Record<string, string> | undefined)?.Authorization;
  for (const cut of cuts) {
    if (auth === `Bearer ${cut.token}` && cut.path.test(new URL(url).pathname)) {
      return Promise.reject(new TypeError('fetch failed'));
    }
  }
  return realFetch(input, init);
}) as typeof fetch;

/** Fails the client's requests to matching paths until the returned function is called. */
export function cutOff(accessToken: string, path: RegExp): () => void {
  const cut = { token: accessToken, path };
  cuts.add(cut);
  return () => cuts.delete(cut);
}
