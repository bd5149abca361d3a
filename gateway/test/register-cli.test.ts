// `register`: the registration file Synapse loads, with fresh tokens, never overwriting deployed ones.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseRegistration } from '@clawchat/common/appservice-registration';
import { register } from '../src/cli/register.ts';

test('register writes a valid registration with fresh tokens and refuses to overwrite it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawchat-register-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'registration.yaml');
  const message = register(['--url', 'http://127.0.0.1:9000', '--server-name', 'localhost', '--out', out]);
  assert.match(message, /@clawbot:localhost/);
  const registration = parseRegistration(readFileSync(out, 'utf8'));
  assert.equal(registration.sender_localpart, 'clawbot');
  assert.equal(registration.url, 'http://127.0.0.1:9000');
  assert.deepEqual(registration.namespaces.users, [{ exclusive: true, regex: '@clawbot:localhost' }]);
  assert.notEqual(registration.as_token, registration.hs_token);

  assert.throws(() => register(['--out', out]), /exists already.*--force/);
  assert.equal(parseRegistration(readFileSync(out, 'utf8')).as_token, registration.as_token, 'tokens kept');
  register(['--out', out, '--force', '--sender-localpart', 'otherbot']);
  const replaced = parseRegistration(readFileSync(out, 'utf8'));
  assert.equal(replaced.sender_localpart, 'otherbot');
  assert.notEqual(replaced.as_token, registration.as_token);

  assert.throws(() => register(['--url', 'not a url', '--out', '-']), /--url: expected a URL/);
  assert.match(register(['--out', '-']), /as_token:/);
});
