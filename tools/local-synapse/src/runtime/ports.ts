import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** True when nothing listens on 127.0.0.1:port. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => resolvePromise(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolvePromise(true)));
  });
}

/** A port the kernel says is free now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

/** The kernel's range of ephemeral ports, the local ports of outgoing connections (Linux's default if unreadable). */
export function ephemeralPortRange(
  read: () => string = () => readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'),
): [number, number] {
  try {
    const [low, high] = read().trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low! > 0 && low! <= high!) return [low!, high!];
  } catch {}
  return [32768, 60999];
}

/**
 * A port to hold for a server that starts later (an application service Synapse is told about at its
 * start, listened on only when a test claims it): free now on 127.0.0.1, not in `taken`, and outside
 * the kernel's ephemeral range, so that no outgoing connection of the run is given it as its local port
 * meanwhile (that made the server's listen fail with EADDRINUSE), and no `freePort` (ephemeral too)
 * either. Picked at random among the ports from `from` up to the range (or above it).
 */
export async function heldPort(taken: ReadonlySet<number> = new Set(), from = 20_000): Promise<number> {
  const [low, high] = ephemeralPortRange();
  const below = Math.max(0, low - from);
  const above = Math.max(0, 65_535 - high);
  if (below + above === 0) throw new Error('no port outside the ephemeral range to hold');
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    const pick = Math.floor(Math.random() * (below + above));
    const port = pick < below ? from + pick : high + 1 + (pick - below);
    if (!taken.has(port) && (await isPortFree(port))) return port;
  }
  throw new Error(`no free port outside the ephemeral range ${low}-${high} after 1000 tries`);
}
