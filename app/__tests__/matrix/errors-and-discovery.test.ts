import { register } from '../../lib/matrix/client';
import { candidateOrigins, discoverHomeserver } from '../../lib/matrix/discovery';
import { friendlyError } from '../../lib/matrix/errors';

describe('friendly errors', () => {
  it.each([
    [{ errcode: 'M_FORBIDDEN', httpStatus: 403 }, 'login', 'Wrong user name or password.'],
    [{ errcode: 'M_USER_IN_USE' }, 'register', 'That user name is taken. Try another one.'],
    [
      { errcode: 'M_LIMIT_EXCEEDED', data: { retry_after_ms: 1000 } },
      'login',
      'Too many attempts. Please try again in 1 second.',
    ],
    [{ errcode: 'M_LIMIT_EXCEEDED' }, 'login', 'Too many attempts. Please try again in a moment.'],
    [
      { name: 'ConnectionError' },
      'login',
      "Can't reach the homeserver at hs.example. Check the address and your connection.",
    ],
    [
      new TypeError('Failed to fetch'),
      'register',
      "Can't reach the homeserver at hs.example. Check the address and your connection.",
    ],
    [
      new TypeError('Failed to fetch'),
      'chat',
      "Can't reach the homeserver. Check your connection and try again.",
    ],
    [{ errcode: 'M_FORBIDDEN', httpStatus: 403 }, 'chat', 'This homeserver does not allow that.'],
    [new Error('Cannot read properties of undefined'), 'chat', 'Something went wrong. Please try again.'],
  ] as const)('%j on %s', (error, action, text) => {
    expect(friendlyError(error, action, action === 'chat' ? undefined : 'hs.example').message).toBe(text);
  });
});

function fakeFetch(routes: Record<string, unknown>): typeof fetch {
  return (async (url: string) => {
    if (!(url in routes)) throw new TypeError('Failed to fetch');
    const body = routes[url];
    return { ok: body !== 404, json: async () => body } as Response;
  }) as unknown as typeof fetch;
}

describe('homeserver discovery', () => {
  it('tries https first for a domain, http first for a local address', () => {
    expect(candidateOrigins('example.org')).toEqual(['https://example.org', 'http://example.org']);
    expect(candidateOrigins('localhost:8008')).toEqual(['http://localhost:8008', 'https://localhost:8008']);
    expect(candidateOrigins(' https://hs.example.org/ ')).toEqual(['https://hs.example.org']);
  });

  it('follows .well-known delegation', async () => {
    const fetchFn = fakeFetch({
      'https://example.org/.well-known/matrix/client': {
        'm.homeserver': { base_url: 'https://matrix.example.org/' },
      },
      'https://matrix.example.org/_matrix/client/versions': { versions: ['v1.11'] },
    });
    await expect(discoverHomeserver('example.org', fetchFn)).resolves.toBe('https://matrix.example.org');
  });

  it('uses the address itself when it is a homeserver', async () => {
    const fetchFn = fakeFetch({ 'http://localhost:8008/_matrix/client/versions': { versions: ['v1.11'] } });
    await expect(discoverHomeserver('http://localhost:8008', fetchFn)).resolves.toBe('http://localhost:8008');
  });

  it('says clearly when nothing answers', async () => {
    await expect(discoverHomeserver('nowhere.invalid', fakeFetch({}))).rejects.toThrow(
      "Can't reach a Matrix homeserver at nowhere.invalid",
    );
  });
});

describe('registration', () => {
  const realFetch = global.fetch;
  afterEach(() => {
    global.fetch = realFetch;
  });

  /** The homeserver answers /register with this status and body (the real SDK makes the request). */
  function homeserverAnswers(status: number, body: unknown) {
    global.fetch = jest.fn(
      async () =>
        new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }),
    ) as typeof fetch;
  }

  const attempt = () =>
    register({ homeserverUrl: 'http://hs.example', username: 'alice', password: 'secret' }).catch(
      (e: { message: string; code: string }) => e,
    );

  it('says registration is closed when the homeserver has it disabled', async () => {
    homeserverAnswers(403, { errcode: 'M_FORBIDDEN', error: 'Registration has been disabled' });
    await expect(attempt()).resolves.toMatchObject({
      code: 'registration_closed',
      message: expect.stringMatching(/^This homeserver does not let anyone create an account here\./),
    });
  });

  it('says which kind of step is missing when registration needs more than the dummy stage', async () => {
    homeserverAnswers(401, { session: 'S', flows: [{ stages: ['m.login.email.identity'] }], params: {} });
    await expect(attempt()).resolves.toMatchObject({
      code: 'registration_unsupported',
      message: expect.stringContaining('needs a step ClawChat does not support yet'),
    });
  });
});
