export { type RegisteredUser, registerWithSharedSecret } from './admin/register.ts';
export { DatabaseUrlError, dropDatabase, ensureDatabase, parseDatabaseUrl } from './config/database.ts';
export { LOG_CONFIG, ROOT_INSTANCE_DIR, renderLocalConfig } from './config/render.ts';
export {
  DEFAULT_TEST_POSTGRES,
  ensureTestPostgres,
  testPostgresBase,
  testPostgresUrl,
} from './config/test-postgres.ts';
export { cacheDir, dataDir, repoRoot } from './paths.ts';
export { type BindMount, runInRoot, spawnInRoot } from './provision/chroot.ts';
export { ensureProvisioned, inspectCache, ProvisionError, SYNAPSE_SERIES } from './provision/rootfs.ts';
export { freePort, isPortFree } from './runtime/ports.ts';
export { LocalSynapse, SynapseStartError } from './runtime/synapse.ts';
