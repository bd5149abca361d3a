// Fake LLM servers for tests, the benchmark and the app's browser test: real wire formats on
// 127.0.0.1, driven through the vendors' real SDKs.

export { startFakeAnthropic } from './fake-anthropic.ts';
export {
  DEFAULT_FAKE_REPLY,
  type FailureStep,
  type FakeLlmOptions,
  type FakeLlmServer,
  type RecordedRequest,
} from './fake-llm-core.ts';
export { startFakeOpenAI } from './fake-openai.ts';
