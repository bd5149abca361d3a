// Registers users through Synapse's shared-secret admin API (/_synapse/admin/v1/register), with the
// same HMAC-SHA1 that `register_new_matrix_user` computes: nonce, user, password, admin flag.
import { createHmac } from 'node:crypto';

export interface RegisteredUser {
  userId: string;
  localpart: string;
  password: string;
  accessToken: string;
  deviceId: string;
}

export interface RegisterOptions {
  localpart: string;
  password: string;
  admin?: boolean;
  displayName?: string;
}

export function registrationMac(
  secret: string,
  nonce: string,
  user: string,
  password: string,
  admin: boolean,
) {
  return createHmac('sha1', secret)
    .update(nonce)
    .update('\x00')
    .update(user)
    .update('\x00')
    .update(password)
    .update('\x00')
    .update(admin ? 'admin' : 'notadmin')
    .digest('hex');
}

async function json(response: Response, what: string): Promise<Record<string, unknown>> {
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    throw new Error(
      `${what} failed: HTTP ${response.status} ${body.errcode ?? ''} ${body.error ?? ''}`.trim(),
    );
  }
  return body;
}

export async function registerWithSharedSecret(
  baseUrl: string,
  sharedSecret: string,
  options: RegisterOptions,
): Promise<RegisteredUser> {
  const url = new URL('/_synapse/admin/v1/register', baseUrl);
  const { nonce } = (await json(await fetch(url), 'getting a registration nonce')) as { nonce: string };
  const admin = options.admin ?? false;
  const body = {
    nonce,
    username: options.localpart,
    password: options.password,
    admin,
    displayname: options.displayName,
    mac: registrationMac(sharedSecret, nonce, options.localpart, options.password, admin),
  };
  const result = await json(
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
    `registering ${options.localpart}`,
  );
  return {
    userId: String(result.user_id),
    localpart: options.localpart,
    password: options.password,
    accessToken: String(result.access_token),
    deviceId: String(result.device_id),
  };
}
