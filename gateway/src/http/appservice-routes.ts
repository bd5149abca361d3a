// The Application Service API the homeserver calls: transactions (acknowledged only once every event
// is durably queued; a re-sent transaction is a no-op), ping, and the user/alias queries.
// Both the v1 paths and the legacy unprefixed ones are served.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientEventSchema, type MatrixEvent, transactionSchema } from '../matrix/events.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ConversationStore } from '../state/types.ts';

export interface AppserviceRoutesOptions {
  hsToken: string;
  botUserId: string;
  store: ConversationStore;
  metrics: Metrics;
  log: Logger;
  handleEvents(events: MatrixEvent[]): Promise<void>;
}

const RECENT_TXNS = 10_000;

function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function matrixError(reply: FastifyReply, status: number, errcode: string, error: string) {
  return reply.code(status).send({ errcode, error });
}

export function registerAppserviceRoutes(app: FastifyInstance, o: AppserviceRoutesOptions): void {
  const recent = new Set<string>();
  const inFlight = new Map<string, Promise<void>>();

  const authenticate = async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    let token: string | undefined;
    if (typeof header === 'string' && header.startsWith('Bearer ')) token = header.slice(7).trim();
    const query = request.query as Record<string, unknown> | undefined;
    if (!token && typeof query?.access_token === 'string') token = query.access_token;
    if (!token) return matrixError(reply, 401, 'M_UNAUTHORIZED', 'Missing homeserver token');
    if (!tokensEqual(token, o.hsToken))
      return matrixError(reply, 403, 'M_FORBIDDEN', 'Wrong homeserver token');
  };

  const transaction = async (request: FastifyRequest<{ Params: { txnId: string } }>, reply: FastifyReply) => {
    const { txnId } = request.params;
    const parsed = transactionSchema.safeParse(request.body);
    if (!parsed.success) {
      o.metrics.transactionsReceived.inc({ outcome: 'bad_json' });
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? issue.path.join('.') : 'body';
      return matrixError(
        reply,
        400,
        'M_BAD_JSON',
        `Malformed transaction: ${where}: ${issue?.message ?? 'invalid'}`,
      );
    }
    if (recent.has(txnId)) {
      o.metrics.transactionsReceived.inc({ outcome: 'duplicate' });
      return reply.send({});
    }
    let work = inFlight.get(txnId);
    if (!work) {
      const events: MatrixEvent[] = [];
      parsed.data.events.forEach((raw, index) => {
        const event = clientEventSchema.safeParse(raw);
        if (event.success) events.push(event.data);
        else
          o.log.warn(
            { txnId, index, problem: event.error.issues[0]?.message },
            'skipped a malformed event in a transaction',
          );
      });
      work = (async () => {
        await o.handleEvents(events);
        // Recorded only after every event is queued: a re-sent transaction after a crash is processed
        // again, harmlessly, since enqueueing is idempotent.
        const fresh = await o.store.markTransaction(txnId);
        o.metrics.transactionsReceived.inc({ outcome: fresh ? 'ok' : 'duplicate' });
        recent.add(txnId);
        if (recent.size > RECENT_TXNS) recent.delete(recent.values().next().value as string);
      })().finally(() => inFlight.delete(txnId));
      inFlight.set(txnId, work);
    }
    try {
      await work;
    } catch (error) {
      o.metrics.transactionsReceived.inc({ outcome: 'error' });
      o.log.error({ err: error, txnId }, 'transaction could not be queued; the homeserver will retry');
      return matrixError(reply, 500, 'M_UNKNOWN', 'Could not queue the events; retry later');
    }
    return reply.send({});
  };

  const userQuery = async (request: FastifyRequest<{ Params: { userId: string } }>, reply: FastifyReply) => {
    if (request.params.userId === o.botUserId) return reply.send({});
    return matrixError(reply, 404, 'M_NOT_FOUND', 'This application service does not provide that user');
  };

  const aliasQuery = async (_request: FastifyRequest, reply: FastifyReply) =>
    matrixError(reply, 404, 'M_NOT_FOUND', 'This application service does not provide room aliases');

  app.register(async (scope) => {
    scope.addHook('onRequest', authenticate);
    for (const prefix of ['/_matrix/app/v1', '']) {
      scope.put(`${prefix}/transactions/:txnId`, transaction);
      scope.get(`${prefix}/users/:userId`, userQuery);
      scope.get(`${prefix}/rooms/:alias`, aliasQuery);
    }
    scope.post('/_matrix/app/v1/ping', async (_request, reply) => reply.send({}));
  });
}
