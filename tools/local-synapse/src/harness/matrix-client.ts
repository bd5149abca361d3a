// A real matrix-js-sdk client for a test user. The polyfill comes first: matrix-js-sdk 43 needs
// Promise.withResolvers, which Node 20 lacks.
import '@clawchat/common/polyfills';
import loglevel from 'loglevel';
import { ClientEvent, createClient, type MatrixClient, SyncState } from 'matrix-js-sdk';
import type { RegisteredUser } from '../admin/register.ts';

// The SDK logs every sync step at info (through loglevel); tests want its errors only unless asked.
// Loggers made later inherit the root level; the ones the SDK made at import are set one by one.
const sdkLogLevel = (process.env.CLAWCHAT_SDK_LOG ?? 'error') as loglevel.LogLevelDesc;
loglevel.setLevel(sdkLogLevel);
for (const child of Object.values(loglevel.getLoggers())) child.setLevel(sdkLogLevel);

export function createUserClient(baseUrl: string, user: RegisteredUser): MatrixClient {
  return createClient({
    baseUrl,
    userId: user.userId,
    accessToken: user.accessToken,
    deviceId: user.deviceId,
    timelineSupport: true,
  });
}

/** Starts the client's /sync loop and resolves once the first sync has completed. */
export async function startAndSync(client: MatrixClient, timeoutMs = 30_000): Promise<void> {
  const prepared = new Promise<void>((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`first sync did not complete within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onSync = (state: SyncState) => {
      if (state === SyncState.Prepared || state === SyncState.Syncing) {
        clearTimeout(timer);
        client.off(ClientEvent.Sync, onSync);
        resolvePromise();
      }
    };
    client.on(ClientEvent.Sync, onSync);
  });
  await client.startClient({ initialSyncLimit: 20, lazyLoadMembers: true });
  await prepared;
}
