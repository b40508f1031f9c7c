import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '@palaver/config';
import type { Jwks } from '@palaver/contracts';

interface SigningKey {
  kid: string;
  algorithm: 'EdDSA' | 'ES256';
  privatePem: string;
  publicPem: string;
}

export interface KeyRing {
  /** Signs every new token. */
  active: SigningKey;
  /** Public halves of every key still accepted, served as the JWKS. */
  jwks: Jwks;
}

function algorithmOf(key: KeyObject): SigningKey['algorithm'] {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`unsupported key type ${key.asymmetricKeyType} (use Ed25519 or EC P-256)`);
}

/**
 * Loads `<kid>.pem` files. A private key can sign and is published by its public half;
 * a public-only key is a retired one still published so tokens it signed stay valid
 * until they expire. Rotation: add a new private key, point JWT_ACTIVE_KID at it, and
 * replace the old private key by its public half after one access-token lifetime.
 */
export async function loadKeyRing(dir: string, activeKid: string): Promise<KeyRing> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((name) => name.endsWith('.pem')).sort();
  } catch {
    throw new ConfigError(
      `invalid configuration: JWT_KEYS_DIR=${JSON.stringify(dir)} is not a readable folder`,
    );
  }
  const signing: SigningKey[] = [];
  const jwks: KeyRing['jwks'] = { keys: [] };
  for (const file of files) {
    const kid = file.slice(0, -'.pem'.length);
    const pem = await readFile(join(dir, file), 'utf8');
    try {
      const isPrivate = pem.includes('PRIVATE KEY');
      const publicKey = isPrivate ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
      const algorithm = algorithmOf(publicKey);
      const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const jwk = publicKey.export({ format: 'jwk' }) as {
        kty: string;
        crv?: string;
        x?: string;
        y?: string;
      };
      jwks.keys.push({ ...jwk, kid, alg: algorithm, use: 'sig' });
      if (isPrivate) signing.push({ kid, algorithm, privatePem: pem, publicPem });
    } catch (error) {
      throw new ConfigError(
        `invalid configuration: key file ${file} in JWT_KEYS_DIR: ${(error as Error).message}`,
      );
    }
  }
  const active = activeKid
    ? signing.find((key) => key.kid === activeKid)
    : signing.length === 1
      ? signing[0]
      : undefined;
  if (!active) {
    const kids = signing.map((key) => key.kid).join(', ') || 'none';
    throw new ConfigError(
      `invalid configuration: JWT_ACTIVE_KID=${JSON.stringify(activeKid)} must name one private key in JWT_KEYS_DIR (found: ${kids})`,
    );
  }
  return { active, jwks };
}
