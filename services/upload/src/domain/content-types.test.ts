import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { allowedTypes, sniffContent } from './content-types.ts';

const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const elf = Buffer.concat([Buffer.from('7f454c46020101', 'hex'), Buffer.alloc(100)]);

const drain = async (stream: Readable) => {
  const out: Buffer[] = [];
  for await (const chunk of stream) out.push(chunk as Buffer);
  return Buffer.concat(out);
};

async function sniff(chunks: Buffer[], maxBytes = 1 << 20, allowed = 'image/*,application/octet-stream') {
  const { mime, stream } = await sniffContent(Readable.from(chunks), {
    isAllowed: allowedTypes(allowed),
    maxBytes,
  });
  return { mime, bytes: await drain(stream) };
}

describe('sniffContent', () => {
  it('detects from magic bytes and replays every byte in order', async () => {
    const body = Buffer.concat([png, Buffer.alloc(10_000, 7)]);
    const chunks = [body.subarray(0, 3), body.subarray(3, 5000), body.subarray(5000)];
    const { mime, bytes } = await sniff(chunks);
    expect(mime).toBe('image/png');
    expect(bytes.equals(body)).toBe(true);
  });

  it('calls undetectable content application/octet-stream', async () => {
    const { mime, bytes } = await sniff([Buffer.from('just text')]);
    expect(mime).toBe('application/octet-stream');
    expect(bytes.toString()).toBe('just text');
  });

  it('refuses a type that is not allowed, whatever it is named', async () => {
    await expect(sniff([elf])).rejects.toMatchObject({ code: 'unsupported_type' });
  });

  it('fails past maxBytes, in the head or later', async () => {
    await expect(sniff([Buffer.alloc(600)], 1000)).resolves.toMatchObject({
      mime: 'application/octet-stream',
    });
    await expect(sniff([Buffer.alloc(600), Buffer.alloc(600)], 1000)).rejects.toMatchObject({
      code: 'file_too_large',
    });
    const big = Array.from({ length: 10 }, () => Buffer.alloc(5000));
    await expect(sniff(big, 20_000)).rejects.toMatchObject({ code: 'file_too_large' });
  });
});

describe('allowedTypes', () => {
  it('matches exact and type/* entries', () => {
    const allowed = allowedTypes(' image/* , application/pdf');
    expect(allowed('image/webp')).toBe(true);
    expect(allowed('application/pdf')).toBe(true);
    expect(allowed('application/x-elf')).toBe(false);
  });
});
