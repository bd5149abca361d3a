// The gateway's HTTP server (fastify): application-service endpoints and operations endpoints.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../observability/logger.ts';

export function createHttpServer(log: Logger): FastifyInstance {
  const app = Fastify({
    // Per-request logs (info) would be one line per transaction: only warnings and errors are kept.
    loggerInstance: log.child({ component: 'http' }, { level: log.levelVal > 40 ? log.level : 'warn' }),
    bodyLimit: 32 * 1024 * 1024,
    keepAliveTimeout: 65_000,
  });
  app.setErrorHandler((error, request, reply) => {
    const err = error as { statusCode?: number; code?: string; message: string };
    const status = err.statusCode ?? 500;
    if (
      err.code === 'FST_ERR_CTP_INVALID_JSON' ||
      err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      (status === 400 && /JSON/i.test(err.message))
    ) {
      return reply.code(400).send({ errcode: 'M_NOT_JSON', error: `Body is not valid JSON: ${err.message}` });
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(400).send({ errcode: 'M_NOT_JSON', error: 'Body must be application/json' });
    }
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply
      .code(status)
      .send({ errcode: status === 413 ? 'M_TOO_LARGE' : 'M_UNKNOWN', error: err.message });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' }),
  );
  return app as unknown as FastifyInstance;
}
