import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// No vitest here: the auth benchmark writes its key the same way.

/** Writes a fresh key pair as `<kid>.pem` (private) in `dir`; returns its PEM. */
export async function writeSigningKey(dir: string, kid: string, type: 'ed25519' | 'ec' = 'ed25519') {
  const { privateKey } =
    type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await writeFile(join(dir, `${kid}.pem`), pem);
  return pem;
}
