// Kustomize reads only files inside server/k8s, so the files server/k8s shares with Docker Compose are
// copied there: the Synapse template, its renderer and the log configuration. Run after changing one of
// them (npm run k8s:sync -w server); the tests fail while a copy differs.
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serverDir } from './paths.mjs';

export const K8S_COPIES = [
  ['homeserver.yaml', 'k8s/synapse/homeserver.yaml'],
  ['scripts/render-config.mjs', 'k8s/synapse/render-config.mjs'],
  ['synapse/log.config', 'k8s/synapse/log.config'],
];

/** The copies that differ from their source. */
export function staleCopies() {
  return K8S_COPIES.filter(
    ([source, copy]) =>
      readFileSync(join(serverDir, source), 'utf8') !== readFileSync(join(serverDir, copy), 'utf8'),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [source, copy] of K8S_COPIES) {
    copyFileSync(join(serverDir, source), join(serverDir, copy));
    console.log(`${source} -> ${copy}`);
  }
}
