import { fileURLToPath } from 'node:url';
import {
  backendsSpec,
  ConfigError,
  duration,
  listenSpec,
  loadConfig,
  mongoSpec,
  num,
  str,
} from '@palaver/config';

/** `.local/data/uploads` at the repository root: git-ignored, beside the local stack's data. */
const defaultRoot = fileURLToPath(new URL('../../../.local/data/uploads', import.meta.url));

const defaultAllowedTypes = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'application/zip',
  'audio/mpeg',
  'audio/ogg',
  'video/mp4',
  'video/webm',
  // What magic bytes cannot name (plain text, CSV, …): stored and served as a download.
  'application/octet-stream',
].join(',');

export const uploadConfigSpec = {
  ...listenSpec(4003),
  ...mongoSpec,
  ...backendsSpec('palaver.upload'),
  RELAY_INTERVAL: duration({ default: 10, desc: 'How often unpublished upload.created events are retried' }),
  UPLOAD_ROOT: str({ default: defaultRoot, desc: 'Folder of the file store (blobs and temp files)' }),
  UPLOAD_MAX_FILE_SIZE: num({ default: 25 * 1024 * 1024, desc: 'Largest file in bytes' }),
  UPLOAD_MAX_FILES: num({ default: 10, desc: 'Most files in one request' }),
  UPLOAD_QUOTA: num({ default: 1024 ** 3, desc: "Bytes one user's uploads may take in all" }),
  UPLOAD_RATE_LIMIT: num({ default: 30, desc: 'Upload requests one user may make per UPLOAD_RATE_WINDOW' }),
  UPLOAD_RATE_WINDOW: duration({ default: 60, desc: 'Window of UPLOAD_RATE_LIMIT' }),
  UPLOAD_ALLOWED_TYPES: str({
    default: defaultAllowedTypes,
    desc: 'Comma-separated MIME types (detected from content); `type/*` allowed',
  }),
  UPLOAD_URL_SECRET: str({ desc: 'HMAC key of signed download URLs, at least 32 characters' }),
  UPLOAD_URL_TTL: duration({ default: 300, desc: 'Lifetime of signed download URLs' }),
  UPLOAD_PUBLIC_PREFIX: str({
    default: '/api',
    desc: 'Path prefix the edge adds, used in the URLs handed to clients',
  }),
  ORPHAN_TTL: duration({ default: 86_400, desc: 'Uploads never sent in a message are deleted after this' }),
  ORPHAN_SWEEP_INTERVAL: duration({ default: 600, desc: 'How often orphaned uploads are looked for' }),
};

export type UploadConfig = ReturnType<typeof loadUploadConfig>;

/** A short key would make signed URLs guessable. */
const minSecretLength = 32;

export function loadUploadConfig(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(uploadConfigSpec, env);
  if (config.UPLOAD_URL_SECRET.length < minSecretLength) {
    throw new ConfigError(
      `invalid configuration: UPLOAD_URL_SECRET is invalid: at least ${minSecretLength} characters are required`,
    );
  }
  return config;
}
