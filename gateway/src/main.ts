// Entry point: `tsx src/main.ts` (or the esbuild bundle of it) runs the gateway.
// No top-level await, so that it bundles as CommonJS too (`esbuild --format=cjs`).
import { runGateway } from './run.ts';

runGateway().catch((error: unknown) => {
  process.stderr.write(`The gateway failed: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
