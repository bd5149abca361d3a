// Builds the configured provider from a plain options object (the config module maps env vars on it).
import { AnthropicProvider } from './anthropic.ts';
import { DemoProvider } from './demo.ts';
import { OpenAiProvider } from './openai.ts';
import type { RetryPolicy } from './retry.ts';
import type { LlmProvider, ProviderName } from './types.ts';

export interface ProviderConfig {
  name: ProviderName;
  apiKey?: string;
  baseUrl?: string;
  model?: string;
  /** Default `max_tokens` of the replies; the conversation layer reads it from `provider.maxTokens`. */
  maxTokens?: number;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Demo provider only: pause between streamed words. */
  demoDelayMs?: number;
}

export const DEFAULT_MAX_TOKENS = 4096;

export type ConfiguredProvider = LlmProvider & { readonly maxTokens: number };

export function createProvider(config: ProviderConfig): ConfiguredProvider {
  const maxTokens = config.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new TypeError(
      `LLM provider: maxTokens must be a positive integer, got ${String(config.maxTokens)}`,
    );
  }
  if (config.baseUrl !== undefined && config.baseUrl !== '') {
    try {
      new URL(config.baseUrl);
    } catch {
      throw new TypeError(
        `LLM provider ${config.name}: baseUrl is not a URL: ${JSON.stringify(config.baseUrl)}`,
      );
    }
  }
  const common = {
    ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}),
    ...(config.model ? { model: config.model } : {}),
    ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}),
    ...(config.retry ? { retry: config.retry } : {}),
  };
  let provider: LlmProvider;
  switch (config.name) {
    case 'anthropic':
      if (!config.apiKey) {
        throw new TypeError('LLM provider anthropic: an API key is required (set ANTHROPIC_API_KEY)');
      }
      provider = new AnthropicProvider({ apiKey: config.apiKey, ...common });
      break;
    case 'openai':
      provider = new OpenAiProvider({ ...(config.apiKey ? { apiKey: config.apiKey } : {}), ...common });
      break;
    case 'demo':
      provider = new DemoProvider(config.demoDelayMs === undefined ? {} : { delayMs: config.demoDelayMs });
      break;
    default:
      throw new TypeError(
        `LLM provider: unknown name ${JSON.stringify(config.name)} (expected anthropic, openai or demo)`,
      );
  }
  return Object.assign(provider, { maxTokens });
}
