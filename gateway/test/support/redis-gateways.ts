// Gateway processes (real child processes) sharing one Redis queue, against the harness's Synapse and a
// fake Anthropic: the set-up of the multi-process and takeover tests.
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { type AppserviceSlot, getTestHomeserver, type TestHomeserver } from '@clawchat/local-synapse/harness';
import { type FakeLlmOptions, type FakeLlmServer, startFakeAnthropic } from '../fakes/index.ts';
import type { gatewayEnv } from './gateway-env.ts';
import type { GatewayProcess } from './gateway-process.ts';

export interface RedisGateways {
  /** Set once the suite's `before` hook has run. */
  hs: TestHomeserver;
  fake: FakeLlmServer;
  /** Every process a test spawns: SIGKILLed after the suite. */
  processes: GatewayProcess[];
}

/** Registers the suite's hooks: the homeserver and the fake LLM before, killing the processes after. */
export function useRedisGateways(fakeOptions: FakeLlmOptions): RedisGateways {
  const ctx = { processes: [] as GatewayProcess[] } as RedisGateways;
  before(async () => {
    ctx.hs = await getTestHomeserver();
    ctx.fake = await startFakeAnthropic(fakeOptions);
  });
  after(async () => {
    await Promise.all(ctx.processes.map((p) => p.stop('SIGKILL')));
    await ctx.fake?.close();
  });
  return ctx;
}

/** A fresh appservice slot and the `gatewayEnv` options every process on it shares (one Redis key prefix). */
export function sharedRedisSlot({ hs, fake }: RedisGateways): {
  slot: AppserviceSlot;
  common: Parameters<typeof gatewayEnv>[0];
} {
  const slot = hs.claimAppservice();
  const prefix = `clawchat-test:${randomBytes(6).toString('hex')}:`;
  const common = {
    hs,
    slot,
    backend: 'redis' as const,
    llm: { provider: 'anthropic' as const, url: fake.url },
    prefix,
  };
  return { slot, common };
}
