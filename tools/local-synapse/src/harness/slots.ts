// Application-service slots of a test run. Synapse loads registrations only at start, so the run
// registers a set of them up front; each test that needs an appservice claims one. A slot is never
// handed out twice in a run: Synapse backs off from an appservice that stopped answering, and that
// back-off must not leak into the next test.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AppserviceRegistration,
  createRegistration,
  renderRegistration,
} from '@clawchat/common/appservice-registration';
import { heldPort } from '../runtime/ports.ts';

export interface AppserviceSlot {
  id: string;
  port: number;
  url: string;
  asToken: string;
  hsToken: string;
  senderLocalpart: string;
  botUserId: string;
  /** Users `@<userPrefix>…:server` belong to the appservice (exclusive namespace). */
  userPrefix: string;
  registrationPath: string;
  registration: AppserviceRegistration;
}

export async function createSlots(count: number, dir: string, serverName: string): Promise<AppserviceSlot[]> {
  mkdirSync(dir, { recursive: true });
  const slots: AppserviceSlot[] = [];
  const ports = new Set<number>();
  for (let index = 1; index <= count; index += 1) {
    // Held until a test claims the slot, perhaps minutes later: outside the ephemeral range (heldPort).
    const port = await heldPort(ports);
    ports.add(port);
    const senderLocalpart = `testbot${index}`;
    const userPrefix = `_as${index}_`;
    const registration = createRegistration({
      id: `clawchat-test-${index}`,
      url: `http://127.0.0.1:${port}`,
      senderLocalpart,
      serverName,
      userPrefix,
    });
    const registrationPath = join(dir, `slot-${index}.yaml`);
    writeFileSync(registrationPath, renderRegistration(registration));
    slots.push({
      id: registration.id,
      port,
      url: registration.url ?? '',
      asToken: registration.as_token,
      hsToken: registration.hs_token,
      senderLocalpart,
      botUserId: `@${senderLocalpart}:${serverName}`,
      userPrefix,
      registrationPath,
      registration,
    });
  }
  return slots;
}

/** Claims the next unclaimed slot; atomic across processes (mkdir either creates or fails). */
export function claimSlot(slots: AppserviceSlot[], claimsDir: string, claimant: string): AppserviceSlot {
  mkdirSync(claimsDir, { recursive: true });
  for (const slot of slots) {
    const claim = join(claimsDir, slot.id);
    try {
      mkdirSync(claim);
      writeFileSync(join(claim, 'by'), claimant);
      return slot;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const used = existsSync(claimsDir)
    ? readdirSync(claimsDir).map((id) => `${id} (${readFileSync(join(claimsDir, id, 'by'), 'utf8')})`)
    : [];
  throw new Error(
    `all ${slots.length} appservice slots of this test run are claimed: ${used.join(', ')}. ` +
      'Raise CLAWCHAT_TEST_APPSERVICE_SLOTS.',
  );
}
