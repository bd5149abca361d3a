// The application-service registration file (Matrix Application Service API, "Registration"):
// one format, written by the gateway's `register` command and by the test harness, loaded by
// Synapse through `app_service_config_files`.
import { randomBytes } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { z } from 'zod';

const namespaceSchema = z.object({
  exclusive: z.boolean(),
  regex: z.string().min(1),
});

export const registrationSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'id may hold letters, digits, ".", "_" and "-" only'),
  url: z.url().nullable(),
  as_token: z.string().min(16, 'as_token must be at least 16 characters'),
  hs_token: z.string().min(16, 'hs_token must be at least 16 characters'),
  sender_localpart: z
    .string()
    .regex(/^[a-z0-9._=\-/+]+$/, 'sender_localpart is not a valid Matrix localpart'),
  rate_limited: z.boolean().default(false),
  receive_ephemeral: z.boolean().optional(),
  'de.sorunome.msc2409.push_ephemeral': z.boolean().optional(),
  namespaces: z.object({
    users: z.array(namespaceSchema).default([]),
    aliases: z.array(namespaceSchema).default([]),
    rooms: z.array(namespaceSchema).default([]),
  }),
});

export type AppserviceRegistration = z.infer<typeof registrationSchema>;

export interface RegistrationOptions {
  id: string;
  /** Where the homeserver pushes transactions (the gateway's listener). */
  url: string;
  senderLocalpart: string;
  serverName: string;
  /** Extra users the service may create and masquerade as: `@<prefix>*:<server>`. */
  userPrefix?: string;
  asToken?: string;
  hsToken?: string;
  /** Ask for typing and receipt events too. */
  receiveEphemeral?: boolean;
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function createRegistration(options: RegistrationOptions): AppserviceRegistration {
  const server = escapeRegex(options.serverName);
  const users = [{ exclusive: true, regex: `@${escapeRegex(options.senderLocalpart)}:${server}` }];
  if (options.userPrefix) {
    users.push({ exclusive: true, regex: `@${escapeRegex(options.userPrefix)}.*:${server}` });
  }
  return registrationSchema.parse({
    id: options.id,
    url: options.url,
    as_token: options.asToken ?? newToken(),
    hs_token: options.hsToken ?? newToken(),
    sender_localpart: options.senderLocalpart,
    rate_limited: false,
    receive_ephemeral: options.receiveEphemeral ?? false,
    namespaces: { users, aliases: [], rooms: [] },
  });
}

export function renderRegistration(registration: AppserviceRegistration): string {
  return `# Matrix application-service registration: load it in Synapse's app_service_config_files.\n${stringify(registration)}`;
}

/** Parses and validates a registration file's text; errors name the offending key. */
export function parseRegistration(text: string, source = 'registration'): AppserviceRegistration {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new Error(`${source}: not valid YAML: ${(error as Error).message}`);
  }
  const result = registrationSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new Error(`${source}: ${problems.join('; ')}`);
  }
  return result.data;
}
