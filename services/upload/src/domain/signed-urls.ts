import { createHmac, timingSafeEqual } from 'node:crypto';
import type { UploadVariant } from '@palaver/contracts';

export interface UrlSignature {
  /** Unix seconds after which the link is refused. */
  expires: number;
  sig: string;
}

/**
 * Short-lived links for places a bearer token cannot go (`<img src>`): an HMAC over the
 * upload id, the variant and the expiry, so a link opens one thing until one moment.
 */
export function createUrlSigner(options: { secret: string; ttlSeconds: number }) {
  const mac = (id: string, variant: UploadVariant, expires: number) =>
    createHmac('sha256', options.secret).update(`${id}\n${variant}\n${expires}`).digest();

  return {
    sign: (id: string, variant: UploadVariant, now = Date.now()): UrlSignature => {
      const expires = Math.floor(now / 1000) + options.ttlSeconds;
      return { expires, sig: mac(id, variant, expires).toString('base64url') };
    },

    verify: (id: string, variant: UploadVariant, given: UrlSignature, now = Date.now()): boolean => {
      if (!Number.isSafeInteger(given.expires) || given.expires < Math.floor(now / 1000)) return false;
      const expected = mac(id, variant, given.expires);
      const actual = Buffer.from(given.sig, 'base64url');
      // Equal lengths first: timingSafeEqual throws otherwise, and length is not secret.
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}

export type UrlSigner = ReturnType<typeof createUrlSigner>;
