// A throw-away TLS certificate for 127.0.0.1 (ECDSA P-256, what the big API fronts serve), made with the
// openssl command into a fresh temporary folder that is removed when the process exits. For tests of
// HTTPS to an LLM and for the benchmarks' fake LLM (`--llm-tls`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSignedCertificate {
  certFile: string;
  keyFile: string;
}

export function selfSignedCertificate(): SelfSignedCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'clawchat-tls-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (error) {
    const why = (error as { stderr?: Buffer }).stderr?.toString().trim() || String(error);
    throw new Error(`making a test certificate needs the openssl command: ${why}`);
  }
  return { certFile, keyFile };
}
