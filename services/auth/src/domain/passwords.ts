import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id at OWASP's baseline (19 MiB, 2 passes, 1 lane). Hashing runs on libuv's
 * thread pool, so a burst of logins never blocks the event loop.
 */
const argon2Parameters = {
  algorithm: 2, // Algorithm.Argon2id (a const enum, unusable under isolated modules)
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const hashPassword = (password: string) => hash(password, argon2Parameters);

// Verifying against this when the user does not exist costs the same as a real check,
// so response time does not reveal which usernames exist.
let decoyHash: Promise<string> | undefined;

export async function verifyPassword(storedHash: string | undefined, password: string): Promise<boolean> {
  decoyHash ??= hashPassword('decoy password never matches');
  const matches = await verify(storedHash ?? (await decoyHash), password);
  return storedHash !== undefined && matches;
}
