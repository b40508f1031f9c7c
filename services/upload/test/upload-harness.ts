import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Upload } from '@palaver/contracts';
import { Broker } from '@palaver/events';
import { createLogger, type Logger } from '@palaver/logger';
import {
  backendVariables,
  buildOnTestBackends,
  createTestUsers,
  type InProcessHarness,
  isolatedEnvironment,
  storedMessage,
  type TestUser,
} from '@palaver/testing';
import type mongoose from 'mongoose';
import { buildUploadApp, type UploadApp } from '../src/app.ts';
import { loadUploadConfig } from '../src/config.ts';
import type { BlobStore } from '../src/store/blob-store.ts';
import { createFileBlobStore } from '../src/store/file-blob-store.ts';

// Tokens are minted with a test key; the service verifies them exactly as in production
// (JWKS, issuer, audience, algorithms), only the key set is local.
export const { issuer, makeUser, makeUsers } = createTestUsers();

export const urlSecret = 'test-secret-that-is-long-enough-0123456789';

export type { TestUser } from '@palaver/testing';

export interface FilePart {
  name: string;
  content: Buffer;
  /** What the client claims; the service ignores it. */
  type?: string;
}

/** A multipart/form-data body with one `file` field per part. */
export function multipart(files: FilePart[]) {
  const boundary = `----palaver${randomUUID()}`;
  const chunks: Buffer[] = [];
  for (const file of files) {
    const filename = file.name.replace(/"/g, '%22').replace(/\r|\n/g, ' ');
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
          `Content-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`,
      ),
      file.content,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Every file below `dir`, recursively (blobs and temp files alike). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

export interface UploadHarness extends UploadApp, InProcessHarness<Broker> {
  root: string;
  mongo: mongoose.Connection;
  upload: (
    user: TestUser | undefined,
    files: FilePart[],
  ) => Promise<{ statusCode: number; json: () => { uploads: Upload[]; error?: { code: string } } }>;
  /** GET a path, with the user's token if given. */
  get: (
    url: string,
    user?: TestUser,
    headers?: Record<string, string>,
  ) => Promise<Awaited<ReturnType<UploadApp['app']['inject']>>>;
  /** Publishes an event on this file's exchange, as the message service would. */
  publish: Broker['publish'];
}

export async function startUpload(
  label: string,
  options: {
    env?: Record<string, string>;
    /** Wraps the file store the service uses, e.g. to make writes fail. */
    blobs?: (store: BlobStore) => BlobStore;
    logger?: Logger;
  } = {},
): Promise<UploadHarness> {
  const env = isolatedEnvironment(label);
  const root = await mkdtemp(join(tmpdir(), 'palaver-uploads-'));
  const config = loadUploadConfig({
    ...backendVariables(env),
    JWKS_URL: 'http://127.0.0.1:1/unused',
    LOG_LEVEL: 'silent',
    UPLOAD_ROOT: root,
    UPLOAD_URL_SECRET: urlSecret,
    UPLOAD_PUBLIC_PREFIX: '',
    RELAY_INTERVAL: '10m', // tests flush the relay themselves
    ORPHAN_SWEEP_INTERVAL: '1d', // tests sweep themselves
    // Unlimited unless a test is about the upload rate.
    UPLOAD_RATE_LIMIT: '1000000',
    ...options.env,
  });
  const files = await createFileBlobStore(root);
  const blobs = options.blobs ? options.blobs(files) : files;
  const logger = options.logger ?? createLogger('upload-test', 'silent');
  const service = await buildOnTestBackends(
    config,
    { connectionName: label, Broker, logger, mongo: true, issuer },
    (backends) => buildUploadApp(config, { ...backends, blobs }),
  );
  const { app } = service;

  return {
    ...service,
    env,
    root,
    close: async () => {
      await service.close();
      await rm(root, { recursive: true, force: true });
    },
    upload: (user, files) => {
      const body = multipart(files);
      return app.inject({
        method: 'POST',
        url: '/uploads',
        headers: { ...user?.headers, 'content-type': body.contentType },
        payload: body.payload,
      });
    },
    get: (url, user, headers = {}) =>
      app.inject({ method: 'GET', url, headers: { ...user?.headers, ...headers } }),
    publish: (type, data, id) => service.broker.publish(type, data, id),
  };
}

/** A `message.created` naming uploads in a conversation with these members. */
export function messageCreated(options: {
  conversationId: string;
  senderId: string;
  memberIds: string[];
  uploads: Upload[];
  at?: Date;
}) {
  return {
    message: storedMessage({
      conversationId: options.conversationId,
      senderId: options.senderId,
      kind: 'file',
      body: null,
      attachments: options.uploads.map((upload) => ({
        uploadId: upload.id,
        name: upload.name,
        mime: upload.mime,
        size: upload.size,
      })),
      createdAt: (options.at ?? new Date()).toISOString(),
    }),
    memberIds: options.memberIds,
  };
}

/** A conversation as the message service's events carry it. */
export function conversationView(id: string, members: Array<{ userId: string; joinedAt: Date }>) {
  const at = new Date().toISOString();
  return {
    id,
    type: 'group' as const,
    title: 'g',
    members: members.map((m) => ({
      userId: m.userId,
      role: 'member' as const,
      joinedAt: m.joinedAt.toISOString(),
      lastReadSeq: 0,
      lastDeliveredSeq: 0,
    })),
    createdBy: members[0]?.userId ?? '0'.repeat(24),
    lastSeq: 1,
    lastMessageAt: null,
    createdAt: at,
    updatedAt: at,
  };
}
