// Operations endpoints: liveness, readiness (homeserver and state backend reachable), Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../observability/metrics.ts';

export interface OpsRoutesOptions {
  metrics: Metrics;
  checks: Record<string, () => Promise<unknown>>;
  queueDepth: () => Promise<number>;
}

export function registerOpsRoutes(app: FastifyInstance, o: OpsRoutesOptions): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const results: Record<string, string> = {};
    let ready = true;
    await Promise.all(
      Object.entries(o.checks).map(async ([name, check]) => {
        try {
          await check();
          results[name] = 'ok';
        } catch (error) {
          ready = false;
          results[name] = (error as Error).message || 'unreachable';
        }
      }),
    );
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: results });
  });

  app.get('/metrics', async (_request, reply) => {
    try {
      o.metrics.queueDepth.set(await o.queueDepth());
    } catch {
      // The depth stays at its last value when the backend does not answer; /readyz reports that.
    }
    return reply
      .header('content-type', o.metrics.registry.contentType)
      .send(await o.metrics.registry.metrics());
  });
}
