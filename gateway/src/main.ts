// Entry point: `tsx src/main.ts` (or the esbuild bundle of it) runs the gateway.
import { runGateway } from './run.ts';

await runGateway();
