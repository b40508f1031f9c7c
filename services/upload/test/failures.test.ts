import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Upload } from '@palaver/contracts';
import type { Logger } from '@palaver/logger';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blobsOf } from '../src/domain/blob-release.ts';
import { createUploadIntake, type IncomingFile } from '../src/domain/upload-intake.ts';
import type { BlobStore } from '../src/store/blob-store.ts';
import { createFileBlobStore } from '../src/store/file-blob-store.ts';
import type { UploadRecord, UploadStore } from '../src/store/upload-store.ts';
import { filesUnder, makeUser, startUpload, type TestUser, type UploadHarness } from './upload-harness.ts';

const png = () =>
  sharp({ create: { width: 40, height: 30, channels: 3, background: '#3366cc' } })
    .png()
    .toBuffer();
const ioError = (code: string) =>
  Object.assign(new Error(`${code}: write failed`), { code, syscall: 'write' });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const file = (content: Buffer, filename = 'f.bin'): IncomingFile => ({
  stream: Readable.from([content]),
  filename,
});
async function* filesOf(...files: Array<IncomingFile | (() => Promise<IncomingFile>)>) {
  for (const next of files) yield typeof next === 'function' ? await next() : next;
}

/** The upload records in memory: what the intake needs of the store. */
function memoryUploads(options: { failInsert?: boolean } = {}) {
  const records = new Map<string, UploadRecord>();
  const store = {
    insert: async (record: UploadRecord) => {
      if (options.failInsert) throw new Error('insert failed');
      records.set(record._id.toHexString(), record);
      return record;
    },
    remove: async (id: UploadRecord['_id']) => {
      records.delete(id.toHexString());
    },
    blobInUse: async (sha256: string) => [...records.values()].some((r) => blobsOf(r).includes(sha256)),
    usageOf: async (uploaderId: string) =>
      [...records.values()]
        .filter((r) => r.uploaderId.toHexString() === uploaderId)
        .reduce((total, r) => total + r.size, 0),
  };
  return { records, store: store as unknown as UploadStore };
}

describe('a failed request releases what it wrote', () => {
  let root: string;
  let blobs: BlobStore;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'palaver-intake-'));
  });
  afterEach(async () => {
    await rm(join(root, 'blobs'), { recursive: true, force: true });
    blobs = await createFileBlobStore(root);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const intake = (uploads: UploadStore, store: BlobStore) =>
    createUploadIntake({
      uploads,
      blobs: store,
      isAllowed: () => true,
      maxFileSize: 64 * 1024,
      quotaBytes: 1024 ** 3,
      onStored: () => undefined,
    });

  it('but spares a blob an identical upload in flight wrote again, before its record is stored', async () => {
    blobs = await createFileBlobStore(root);
    const { records, store } = memoryUploads();
    const shared = Buffer.from('the same bytes, sent by two people at once');
    const failing = intake(store, blobs).accept(
      filesOf(file(shared), async () => {
        // Another request stores the same content; its record is not inserted yet.
        await pause(20);
        await blobs.put(Readable.from([shared]));
        return file(Buffer.alloc(64 * 1024 + 1, 1), 'too-big.bin');
      }),
      '0123456789abcdef01234567',
    );
    await expect(failing).rejects.toMatchObject({ code: 'file_too_large' });
    expect(records.size).toBe(0);
    const [blob] = await filesUnder(join(root, 'blobs'));
    expect(blob).toBeDefined();
    expect(await blobs.stat(blob?.split('/').at(-1) as string)).toBeDefined();
  });

  it('when the record cannot be inserted, for files and images alike', async () => {
    const { store } = memoryUploads({ failInsert: true });
    for (const content of [Buffer.from('a file whose record fails'), await png()]) {
      await expect(
        intake(store, blobs).accept(filesOf(file(content)), '0123456789abcdef01234567'),
      ).rejects.toThrow('insert failed');
      expect(await filesUnder(join(root, 'blobs'))).toEqual([]);
    }
  });

  it('when one of the two image writes fails, and an I/O error stays an I/O error', async () => {
    const { records, store } = memoryUploads();
    let puts = 0;
    const secondFails: BlobStore = {
      ...blobs,
      put: async (source) => {
        if (++puts === 2) {
          source.resume();
          await pause(20); // after the other write has landed
          throw ioError('ENOSPC');
        }
        return blobs.put(source);
      },
    };
    const failing = intake(store, secondFails).accept(
      filesOf(file(Buffer.from('first file')), async () => file(await png(), 'p.png')),
      '0123456789abcdef01234567',
    );
    await expect(failing).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(records.size).toBe(0);
    expect(await filesUnder(join(root, 'blobs'))).toEqual([]);
  });
});

/** A logger in memory, enough for Fastify: tests read what was logged. */
function recordingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const at = (level: string) => (first: unknown, msg?: string) => {
      lines.push(
        typeof first === 'string'
          ? { ...bindings, level, msg: first }
          : { ...bindings, ...(first as object), level, msg },
      );
    };
    const logger = {
      level: 'trace',
      isLevelEnabled: () => true,
      child: (more: Record<string, unknown>) => make({ ...bindings, ...more }),
      ...Object.fromEntries(['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((l) => [l, at(l)])),
      silent: () => undefined,
    };
    return logger as unknown as Logger;
  };
  return { lines, logger: make({}) };
}

describe('store failures over HTTP', () => {
  let service: UploadHarness;
  let ada: TestUser;
  let failWrites: string | undefined;
  const { lines, logger } = recordingLogger();
  beforeAll(async () => {
    service = await startUpload('failures', {
      logger,
      blobs: (store) => ({
        ...store,
        put: (source) => {
          if (!failWrites) return store.put(source);
          source.resume();
          return Promise.reject(ioError(failWrites));
        },
      }),
    });
    ada = await makeUser();
  });
  afterAll(async () => {
    await service.close();
  });

  it('answers 500, not 415, when an image cannot be written', async () => {
    for (const code of ['ENOSPC', 'EACCES']) {
      failWrites = code;
      try {
        const response = await service.upload(ada, [{ name: 'p.png', content: await png() }]);
        expect(response.statusCode, code).toBe(500);
      } finally {
        failWrites = undefined;
      }
    }
    const undecodable = Buffer.concat([(await png()).subarray(0, 60), Buffer.alloc(100)]);
    const refused = await service.upload(ada, [{ name: 'broken.png', content: undecodable }]);
    expect(refused.statusCode).toBe(415);
    expect(refused.json().error?.code).toBe('unsupported_type');
  });

  it('answers 404 and logs an error when an upload has lost its blob', async () => {
    const response = await service.upload(ada, [{ name: 'lost.txt', content: Buffer.from('soon gone') }]);
    const upload = response.json().uploads[0] as Upload;
    await rm(join(service.root, 'blobs', upload.sha256.slice(0, 2), upload.sha256));
    for (const path of [`/uploads/${upload.id}`, upload.url]) {
      const download = await service.get(path, ada);
      expect(download.statusCode).toBe(404);
      expect(download.json().error.code).toBe('not_found');
    }
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'upload blob missing', sha256: upload.sha256 }),
    );
  });
});
