import { createHmac, timingSafeEqual } from 'node:crypto';
import type { UploadVariant } from '@palaver/contracts';

/** What a signed link carries beside the upload id and variant. */
export interface UrlSignature {
  /** The user the link was made for: it opens only what they may still read. */
  reader: string;
  /** Unix seconds after which the link is refused. */
  expires: number;
  sig: string;
}

/**
 * Short-lived links for places a bearer token cannot go (`<img src>`): an HMAC over the
 * upload id, the variant, the reader and the expiry, so a link opens one thing for one
 * person until one moment — and the reader's access is checked again on every use.
 */
export function createUrlSigner(options: { secret: string; ttlSeconds: number }) {
  const mac = (id: string, variant: UploadVariant, reader: string, expires: number) =>
    createHmac('sha256', options.secret).update(`${id}\n${variant}\n${reader}\n${expires}`).digest();

  return {
    sign: (id: string, variant: UploadVariant, reader: string, now = Date.now()): UrlSignature => {
      const expires = Math.floor(now / 1000) + options.ttlSeconds;
      return { reader, expires, sig: mac(id, variant, reader, expires).toString('base64url') };
    },

    verify: (id: string, variant: UploadVariant, given: UrlSignature, now = Date.now()): boolean => {
      if (!Number.isSafeInteger(given.expires) || given.expires < Math.floor(now / 1000)) return false;
      const expected = mac(id, variant, given.reader, given.expires);
      const actual = Buffer.from(given.sig, 'base64url');
      // Equal lengths first: timingSafeEqual throws otherwise, and length is not secret.
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}

export type UrlSigner = ReturnType<typeof createUrlSigner>;
