// Where the deployment files live, for the tooling and tests that read them.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const homeserverTemplatePath = join(serverDir, 'homeserver.yaml');
