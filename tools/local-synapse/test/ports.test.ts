// Ports the harness holds for servers that start later (the appservice slots): outside the kernel's
// ephemeral range, so that the run's own outgoing connections never take them meanwhile.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createSlots } from '../src/harness/slots.ts';
import { ephemeralPortRange, freePort, heldPort } from '../src/runtime/ports.ts';

const outsideEphemeral = (port: number) => {
  const [low, high] = ephemeralPortRange();
  return port < low || port > high;
};

describe('ports', () => {
  test("the ephemeral range is the kernel's, or Linux's default when it cannot be read", () => {
    assert.deepEqual(
      ephemeralPortRange(() => '32768\t60999\n'),
      [32768, 60999],
    );
    assert.deepEqual(
      ephemeralPortRange(() => '1024 65000'),
      [1024, 65000],
    );
    assert.deepEqual(
      ephemeralPortRange(() => 'garbage'),
      [32768, 60999],
    );
    assert.deepEqual(
      ephemeralPortRange(() => {
        throw new Error('ENOENT');
      }),
      [32768, 60999],
    );
  });

  test('a held port is free, outside the ephemeral range and not one already taken', async () => {
    const taken = new Set<number>();
    for (let i = 0; i < 20; i += 1) {
      const port = await heldPort(taken);
      assert.ok(outsideEphemeral(port), `${port} is outside ${ephemeralPortRange().join('-')}`);
      assert.ok(port >= 1024 && port <= 65535);
      assert.ok(!taken.has(port), `${port} given twice`);
      taken.add(port);
    }
    // And it can be listened on.
    const port = await heldPort(taken);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '127.0.0.1' }, resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });

  test('freePort and the held ports do not meet: the kernel gives freePort an ephemeral one', async () => {
    // Where the kernel's range is the default one, a port of freePort lies inside it.
    const port = await freePort();
    if (ephemeralPortRange()[0] > 20_000) assert.ok(!outsideEphemeral(port), `${port}`);
  });

  test('the appservice slots hold distinct ports outside the ephemeral range', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawchat-slots-'));
    try {
      const slots = await createSlots(5, dir, 'localhost');
      const ports = slots.map((slot) => slot.port);
      assert.equal(new Set(ports).size, 5);
      for (const slot of slots) {
        assert.ok(outsideEphemeral(slot.port), `${slot.port}`);
        assert.equal(slot.url, `http://127.0.0.1:${slot.port}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
