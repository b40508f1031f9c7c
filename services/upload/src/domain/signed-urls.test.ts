import { describe, expect, it } from 'vitest';
import { createUrlSigner } from './signed-urls.ts';

const signer = createUrlSigner({ secret: 'x'.repeat(32), ttlSeconds: 300 });
const id = '0123456789abcdef01234567';
const reader = '89abcdef0123456789abcdef';
const now = Date.UTC(2026, 0, 1);

describe('signed urls', () => {
  it('accepts its own signature until it expires', () => {
    const signature = signer.sign(id, 'original', reader, now);
    expect(signature.expires).toBe(now / 1000 + 300);
    expect(signer.verify(id, 'original', signature, now + 299_000)).toBe(true);
    expect(signer.verify(id, 'original', signature, now + 301_000)).toBe(false);
  });

  it('binds the id, the variant, the reader and the expiry', () => {
    const signature = signer.sign(id, 'original', reader, now);
    expect(signer.verify('0123456789abcdef01234568', 'original', signature, now)).toBe(false);
    expect(signer.verify(id, 'thumbnail', signature, now)).toBe(false);
    expect(signer.verify(id, 'original', { ...signature, reader: id }, now)).toBe(false);
    expect(signer.verify(id, 'original', { ...signature, expires: signature.expires + 1 }, now)).toBe(false);
    expect(signer.verify(id, 'original', { ...signature, sig: signature.sig.slice(1) }, now)).toBe(false);
    const other = createUrlSigner({ secret: 'y'.repeat(32), ttlSeconds: 300 });
    expect(other.verify(id, 'original', signature, now)).toBe(false);
  });
});
