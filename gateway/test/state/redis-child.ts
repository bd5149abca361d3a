// A gateway-like process for the takeover test: takes one job, says so, then hangs until killed.
import { createStateBackend } from '../../src/state/index.ts';

const [redisUrl, keyPrefix, leaseMs] = process.argv.slice(2);
const backend = await createStateBackend({
  redisUrl: redisUrl!,
  keyPrefix: keyPrefix!,
  leaseMs: Number(leaseMs),
  rateLimit: { capacity: 1, refillPerSecond: 1 },
});
const leased = await backend.queue.take('child', 10_000);
process.stdout.write(`${JSON.stringify({ taken: leased?.job.id ?? null, attempt: leased?.attempt ?? 0 })}\n`);
setInterval(() => {}, 1000);
