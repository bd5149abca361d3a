// The vendors' SDKs are imported when a provider first needs one, not when its module is: a process or
// a stream thread pays only for the SDK it runs (each is about 0.2 s of start), and the main thread,
// which only checks the configuration when the streams run on threads, pays for none.
import type { SdkErrorClasses } from './errors.ts';

/** What a provider streams with: the SDK's client and its error classes. */
export interface LoadedSdk<Client, Errors extends SdkErrorClasses = SdkErrorClasses> {
  client: Client;
  errors: Errors;
}

/**
 * `make` run once, on the first call; every call gets its result. A failed import (a broken install)
 * stays failed: each stream then fails with its error, as it would with a broken SDK.
 */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    made ??= make();
    return made;
  };
}
