// Runs a fake LLM server as a process, for the benchmark, the app's browser test or manual tries:
//   npx tsx test/fakes/serve.ts --vendor anthropic|openai [--port 0] [--reply TEXT] [--ttft MS]
//     [--tps TOKENS_PER_S] [--chunk TOKENS]
// Prints one JSON line {"vendor","url","port"} once listening; stops on SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { startFakeAnthropic, startFakeOpenAI } from './index.ts';

const { values } = parseArgs({
  options: {
    vendor: { type: 'string', default: 'anthropic' },
    port: { type: 'string', default: '0' },
    reply: { type: 'string' },
    ttft: { type: 'string', default: '0' },
    tps: { type: 'string', default: '0' },
    chunk: { type: 'string', default: '1' },
  },
});

const number = (name: string, raw: string | undefined): number => {
  const value = Number(raw);
  if (raw === undefined || !Number.isFinite(value)) {
    console.error(`--${name} must be a number, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
};

if (values.vendor !== 'anthropic' && values.vendor !== 'openai') {
  console.error(`--vendor must be anthropic or openai, got ${JSON.stringify(values.vendor)}`);
  process.exit(2);
}
const options = {
  port: number('port', values.port),
  timeToFirstTokenMs: number('ttft', values.ttft),
  tokensPerSecond: number('tps', values.tps),
  chunkSize: number('chunk', values.chunk),
  // A long-running server must not keep every request in memory.
  recordRequests: false,
  ...(values.reply === undefined ? {} : { reply: values.reply }),
};
const server =
  values.vendor === 'openai' ? await startFakeOpenAI(options) : await startFakeAnthropic(options);
process.stdout.write(`${JSON.stringify({ vendor: values.vendor, url: server.url, port: server.port })}\n`);
const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
