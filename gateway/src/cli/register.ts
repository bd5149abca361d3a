// `register`: writes the application-service registration YAML for the homeserver, with fresh random
// tokens. It never overwrites an existing file (tokens already deployed would be lost) unless --force.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createRegistration, renderRegistration } from '@clawchat/common/appservice-registration';

export const registerUsage = `Usage: register --url <gateway URL> [--server-name <name>] [--sender-localpart clawbot] [--id clawchat-gateway] [--out appservice-registration.yaml] [--force]

Writes the application-service registration for Synapse's app_service_config_files, with fresh tokens.
  --url              where the homeserver reaches the gateway (default http://127.0.0.1:9000)
  --server-name      the homeserver's server name (default $MATRIX_SERVER_NAME or localhost)
  --sender-localpart the bot's localpart (default clawbot)
  --id               the application-service id (default clawchat-gateway)
  --out              the file to write (default appservice-registration.yaml; "-" prints it)
  --force            overwrite an existing file (its tokens are lost: update the homeserver too)`;

export function register(argv: string[], env: NodeJS.ProcessEnv = process.env): string {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:9000' },
      'server-name': { type: 'string', default: env.MATRIX_SERVER_NAME || 'localhost' },
      'sender-localpart': { type: 'string', default: 'clawbot' },
      id: { type: 'string', default: 'clawchat-gateway' },
      out: { type: 'string', default: 'appservice-registration.yaml' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return registerUsage;
  try {
    new URL(values.url);
  } catch {
    throw new Error(`--url: expected a URL such as http://127.0.0.1:9000, got ${JSON.stringify(values.url)}`);
  }
  const registration = createRegistration({
    id: values.id,
    url: values.url,
    senderLocalpart: values['sender-localpart'],
    serverName: values['server-name'],
  });
  const text = renderRegistration(registration);
  if (values.out === '-') return text;
  const out = resolve(values.out);
  if (existsSync(out) && !values.force) {
    throw new Error(
      `${out} exists already; its tokens may be deployed. Use --force to replace it (then reload the homeserver).`,
    );
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text, { mode: 0o600 });
  return `Wrote ${out} (bot @${registration.sender_localpart}:${values['server-name']}). Add it to Synapse's app_service_config_files and set GATEWAY_REGISTRATION_FILE=${out}.`;
}
