// One gateway inside the test process for a whole test file, on a fresh appservice slot of the harness's
// Synapse and a fake Anthropic: the set-up (and tear-down) the single-gateway suites share.
import { after, before } from 'node:test';
import { type AppserviceSlot, getTestHomeserver, type TestHomeserver } from '@clawchat/local-synapse/harness';
import type { DestinationStream } from 'pino';
import type { Gateway } from '../../src/gateway.ts';
import { type FakeLlmOptions, type FakeLlmServer, startFakeAnthropic } from '../fakes/index.ts';
import { type Backend, gatewayEnv } from './gateway-env.ts';
import { startInProcessGateway } from './in-process-gateway.ts';

export interface InProcessSuite {
  /** Set once the file's `before` hook has run. */
  hs: TestHomeserver;
  slot: AppserviceSlot;
  fake: FakeLlmServer;
  gateway: Gateway;
}

export function useInProcessGateway(options: {
  fake: FakeLlmOptions;
  backend?: Backend;
  /** Gateway settings beside the test defaults of `gatewayEnv`. */
  extra?: Record<string, string>;
  /** Last changes to the environment (e.g. removing a test default). */
  adjust?: (env: Record<string, string>) => void;
  logTo?: DestinationStream;
}): InProcessSuite {
  const suite = {} as InProcessSuite;
  before(async () => {
    suite.hs = await getTestHomeserver();
    suite.slot = suite.hs.claimAppservice();
    suite.fake = await startFakeAnthropic(options.fake);
    const env = gatewayEnv({
      hs: suite.hs,
      slot: suite.slot,
      backend: options.backend ?? 'memory',
      llm: { provider: 'anthropic', url: suite.fake.url },
      ...(options.extra ? { extra: options.extra } : {}),
    });
    options.adjust?.(env);
    suite.gateway = await startInProcessGateway(env, options.logTo);
  });
  after(async () => {
    await suite.gateway?.stop();
    await suite.fake?.close();
  });
  return suite;
}
