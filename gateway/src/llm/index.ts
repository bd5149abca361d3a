export { ANTHROPIC_DEFAULT_MODEL, AnthropicProvider, type AnthropicProviderOptions } from './anthropic.ts';
export { DEMO_MODEL, DemoProvider, type DemoProviderOptions, demoReply } from './demo.ts';
export {
  type ConfiguredProvider,
  createProvider,
  DEFAULT_MAX_TOKENS,
  type ProviderConfig,
} from './factory.ts';
export { OPENAI_DEFAULT_MODEL, OpenAiProvider, type OpenAiProviderOptions } from './openai.ts';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.ts';
export { pullText, pushText } from './text-push.ts';
export { estimateMessageTokens, estimateTokens, trimHistory } from './tokens.ts';
export * from './types.ts';
