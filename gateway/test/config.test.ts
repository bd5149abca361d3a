// Configuration: defaults, YAML file < environment, the registration file, and errors naming the key.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createRegistration, renderRegistration } from '@clawchat/common/appservice-registration';
import { ConfigError, configWarnings, loadConfig, redactedConfig } from '../src/config/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'clawchat-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const registrationPath = join(dir, 'registration.yaml');
writeFileSync(
  registrationPath,
  renderRegistration(
    createRegistration({
      id: 'my-gateway',
      url: 'http://127.0.0.1:9000',
      senderLocalpart: 'clawbot',
      serverName: 'localhost',
    }),
  ),
);
const base = { GATEWAY_REGISTRATION_FILE: registrationPath };

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail('expected a config error');
}

describe('config', () => {
  test('defaults: appservice on 127.0.0.1:9000, embedded state, demo provider, @clawbot', () => {
    const config = loadConfig(base);
    assert.equal(config.mode, 'appservice');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 9000);
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.llmProvider, 'demo');
    assert.equal(config.botUserId, '@clawbot:localhost');
    assert.equal(config.appserviceId, 'my-gateway');
    assert.equal(config.editIntervalMs, 1000);
    assert.deepEqual(config.allowedServers, ['localhost']);
    assert.ok(config.asToken && config.hsToken);
  });

  test('anthropic is the default provider when ANTHROPIC_API_KEY is set', () => {
    assert.equal(loadConfig({ ...base, ANTHROPIC_API_KEY: 'sk-test' }).llmProvider, 'anthropic');
    assert.equal(
      loadConfig({ ...base, ANTHROPIC_API_KEY: 'sk-test', LLM_PROVIDER: 'demo' }).llmProvider,
      'demo',
    );
  });

  test('HISTORY_TTL_SECONDS: unset keeps the history; a number of seconds; anything else names the key', () => {
    assert.equal(loadConfig(base).historyTtlSeconds, undefined);
    assert.equal(loadConfig({ ...base, HISTORY_TTL_SECONDS: '86400' }).historyTtlSeconds, 86400);
    assert.match(
      configError({ ...base, HISTORY_TTL_SECONDS: '-5' }),
      /HISTORY_TTL_SECONDS: expected a positive integer/,
    );
  });

  test('HEAP_GROWING_PERCENT: 50 unless set; 0 keeps V8 its own; out of 0..400 names the key', () => {
    assert.equal(loadConfig(base).heapGrowingPercent, 50);
    assert.equal(loadConfig({ ...base, HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent, 0);
    assert.equal(loadConfig({ ...base, HEAP_GROWING_PERCENT: '100' }).heapGrowingPercent, 100);
    for (const bad of ['401', '-1', '12.5', 'small']) {
      assert.match(
        configError({ ...base, HEAP_GROWING_PERCENT: bad }),
        /HEAP_GROWING_PERCENT: expected an integer from 0 to 400/,
      );
    }
  });

  test('LLM_THREAD_YOUNG_GENERATION_MB: 192 unless set; 0 keeps V8 its own; out of 0..4096 names the key', () => {
    assert.equal(loadConfig(base).llmThreadYoungGenerationMb, 192);
    assert.equal(loadConfig({ ...base, LLM_THREAD_YOUNG_GENERATION_MB: '0' }).llmThreadYoungGenerationMb, 0);
    assert.equal(
      loadConfig({ ...base, LLM_THREAD_YOUNG_GENERATION_MB: '64' }).llmThreadYoungGenerationMb,
      64,
    );
    for (const bad of ['4097', '-1', '1.5', 'big']) {
      assert.match(
        configError({ ...base, LLM_THREAD_YOUNG_GENERATION_MB: bad }),
        /LLM_THREAD_YOUNG_GENERATION_MB: expected an integer from 0 to 4096/,
      );
    }
  });

  test('an OpenAI endpoint without LLM_PROVIDER=openai is answered by the demo provider, with a warning', () => {
    const config = loadConfig({ ...base, OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' });
    assert.equal(config.llmProvider, 'demo');
    assert.match(configWarnings(config).join('\n'), /LLM_PROVIDER=openai/);
    assert.deepEqual(
      configWarnings(loadConfig({ ...base, OPENAI_API_KEY: 'k', LLM_PROVIDER: 'openai' })),
      [],
    );
    assert.deepEqual(configWarnings(loadConfig(base)), []);
  });

  test('a queue journal beside REDIS_URL is ignored, with a warning', () => {
    const journal = { QUEUE_JOURNAL_FILE: join(dir, 'queue.jsonl') };
    assert.equal(loadConfig({ ...base, ...journal }).queueJournalFile, journal.QUEUE_JOURNAL_FILE);
    assert.deepEqual(configWarnings(loadConfig({ ...base, ...journal })), []);
    assert.match(
      configWarnings(loadConfig({ ...base, ...journal, REDIS_URL: 'redis://127.0.0.1:6379' })).join('\n'),
      /QUEUE_JOURNAL_FILE is ignored because REDIS_URL is set/,
    );
  });

  test('a bad value stops it with a message naming the key', () => {
    assert.equal(
      configError({ ...base, EDIT_INTERVAL_MS: 'abc' }),
      'Invalid config: EDIT_INTERVAL_MS: expected a positive integer, got "abc"',
    );
    assert.match(configError({ ...base, GATEWAY_PORT: '70000' }), /GATEWAY_PORT: expected a port number/);
    assert.match(
      configError({ ...base, LLM_PROVIDER: 'gpt' }),
      /LLM_PROVIDER: expected one of "anthropic", "openai", "demo", got "gpt"/,
    );
    assert.match(
      configError({ ...base, MATRIX_HOMESERVER_URL: 'localhost:8008' }),
      /MATRIX_HOMESERVER_URL: expected an http\(s\) URL/,
    );
    assert.match(
      configError({ ...base, ALLOWED_USERS_REGEX: '([' }),
      /ALLOWED_USERS_REGEX: expected a valid regular expression/,
    );
    assert.match(
      configError({ ...base, LLM_PROVIDER: 'anthropic' }),
      /ANTHROPIC_API_KEY: required when LLM_PROVIDER=anthropic/,
    );
    assert.match(configError({}), /AS_TOKEN: required in appservice mode/);
    assert.match(
      configError({ GATEWAY_MODE: 'sync' }),
      /MATRIX_ACCESS_TOKEN: required when GATEWAY_MODE=sync/,
    );
    assert.match(
      configError({ ...base, GATEWAY_REGISTRATION_FILE: join(dir, 'missing.yaml') }),
      /GATEWAY_REGISTRATION_FILE: cannot read/,
    );
    // Several problems are all named at once.
    const both = configError({ ...base, EDIT_INTERVAL_MS: '0', MAX_CONCURRENT_LLM_CALLS: '-1' });
    assert.match(both, /EDIT_INTERVAL_MS/);
    assert.match(both, /MAX_CONCURRENT_LLM_CALLS/);
  });

  test('secrets are never shown in errors or the redacted config', () => {
    const message = configError({ ...base, REDIS_URL: 'http://user:secret@host' });
    assert.match(message, /REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL, got \(hidden\)/);
    assert.ok(!message.includes('secret'));
    const shown = JSON.stringify(
      redactedConfig(loadConfig({ ...base, ANTHROPIC_API_KEY: 'sk-very-secret' })),
    );
    assert.ok(!shown.includes('sk-very-secret'));
    assert.ok(!shown.includes(loadConfig(base).hsToken!));
  });

  test('YAML file < environment; unknown or bad YAML keys are named with the file', () => {
    const yamlPath = join(dir, 'gateway.yaml');
    writeFileSync(
      yamlPath,
      'editIntervalMs: 250\nsystemPrompt: From YAML\nallowedServers: [localhost, example.org]\n',
    );
    const fromYaml = loadConfig({ ...base, GATEWAY_CONFIG: yamlPath });
    assert.equal(fromYaml.editIntervalMs, 250);
    assert.equal(fromYaml.systemPrompt, 'From YAML');
    assert.deepEqual(fromYaml.allowedServers, ['localhost', 'example.org']);
    assert.equal(
      loadConfig({ ...base, GATEWAY_CONFIG: yamlPath, EDIT_INTERVAL_MS: '500' }).editIntervalMs,
      500,
    );

    writeFileSync(yamlPath, 'editIntervalMs: soon\n');
    assert.match(
      configError({ ...base, GATEWAY_CONFIG: yamlPath }),
      /editIntervalMs \(in .*gateway\.yaml\): expected a positive integer, got "soon"/,
    );
    writeFileSync(yamlPath, 'editIntervallMs: 5\n');
    assert.match(
      configError({ ...base, GATEWAY_CONFIG: yamlPath }),
      /editIntervallMs \(in .*\): unknown setting/,
    );
  });

  test('ALLOWED_SERVERS takes a comma-separated list; empty variables count as unset', () => {
    assert.deepEqual(loadConfig({ ...base, ALLOWED_SERVERS: 'a.org, b.org' }).allowedServers, [
      'a.org',
      'b.org',
    ]);
    assert.equal(loadConfig({ ...base, EDIT_INTERVAL_MS: '' }).editIntervalMs, 1000);
  });
});
