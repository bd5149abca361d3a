// The lean fetch's keep-alive connections: one undici Client (one HTTP/1.1 connection, one response at
// a time) per stream in progress, checked out and back in at O(1). undici's Pool, under an Agent with
// unlimited connections, finds a free connection by walking all of them, twice per request: at 5,000
// streams in progress that walk was a second of the stream thread's CPU, and it grows with the square
// of the streams. The most recently used connection goes out first (its socket is the likeliest to be
// still open); connections idle past the keep-alive timeout are closed from the bottom of the stack.
import { Client } from 'undici';

export interface ConnectionStackOptions {
  /** Idle keep-alive connections are closed after this (ms). */
  keepAliveTimeoutMs: number;
  /** How undici's Clients connect: the lean fetch's one connector (its TLS context and session cache). */
  connect: Client.Options['connect'];
}

interface IdleConnection {
  client: Client;
  since: number;
}

/** The connections to one origin. */
class OriginConnections {
  /** Idle connections, the longest idle first. */
  private idle: IdleConnection[] = [];
  readonly all = new Set<Client>();

  constructor(
    private readonly origin: string,
    private readonly options: ConnectionStackOptions,
  ) {}

  checkout(): Client {
    const reused = this.idle.pop();
    if (reused) return reused.client;
    const client = new Client(this.origin, {
      keepAliveTimeout: this.options.keepAliveTimeoutMs,
      pipelining: 1,
      connect: this.options.connect,
    });
    this.all.add(client);
    return client;
  }

  checkin(client: Client, now: number): void {
    if (client.closed || client.destroyed) {
      this.all.delete(client);
      return;
    }
    this.idle.push({ client, since: now });
  }

  /** Closes the connections idle since before `cutoff`; whether any connection is left. */
  sweep(cutoff: number): boolean {
    let stale = 0;
    while (stale < this.idle.length && this.idle[stale]!.since < cutoff) stale++;
    if (stale > 0) {
      for (const { client } of this.idle.slice(0, stale)) this.retire(client);
      this.idle = this.idle.slice(stale);
    }
    return this.all.size > 0;
  }

  private retire(client: Client): void {
    this.all.delete(client);
    client.close().catch(() => {
      // Closing an idle connection cannot fail in a way that matters.
    });
  }
}

export class ConnectionStack {
  private readonly origins = new Map<string, OriginConnections>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: ConnectionStackOptions) {
    const every = Math.max(100, Math.min(5_000, options.keepAliveTimeoutMs / 2));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  /** A connection for one request to `origin`; hand it back with `checkin` when the response is over. */
  checkout(origin: string): Client {
    let connections = this.origins.get(origin);
    if (!connections) {
      connections = new OriginConnections(origin, this.options);
      this.origins.set(origin, connections);
    }
    return connections.checkout();
  }

  checkin(origin: string, client: Client): void {
    this.origins.get(origin)?.checkin(client, Date.now());
  }

  /** How many connections are open or in use, for tests and diagnostics. */
  get size(): number {
    let size = 0;
    for (const connections of this.origins.values()) size += connections.all.size;
    return size;
  }

  private sweep(): void {
    const cutoff = Date.now() - this.options.keepAliveTimeoutMs;
    for (const [origin, connections] of this.origins) {
      if (!connections.sweep(cutoff)) this.origins.delete(origin);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const clients = [...this.origins.values()].flatMap((connections) => [...connections.all]);
    this.origins.clear();
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  }
}
