import { backendsSpec, duration, listenSpec, loadConfig, mongoSpec, num, str } from '@palaver/config';

export const messageConfigSpec = {
  ...listenSpec(4002),
  ...mongoSpec,
  ...backendsSpec('palaver.message'),
  SEND_RATE: num({
    default: 10,
    desc: 'Sends per second a user may sustain, over HTTP and sockets together',
  }),
  SEND_BURST: num({ default: 30, desc: 'Sends a user may make at once before the rate applies' }),
  SEND_BATCH_MAX: num({ default: 256, desc: 'Most sends stored by one insertMany; 1 stores one by one' }),
  SEND_BATCH_WINDOW_MS: num({ default: 2, desc: 'How long a send may wait for others to share its write' }),
  SEND_QUEUE_MAX: num({
    default: 2048,
    desc: 'Sends waiting to be stored beyond which new ones get 503 with Retry-After',
  }),
  SEND_IN_FLIGHT_MAX: num({
    default: 256,
    desc: 'Send requests worked on at once; more get 503 with Retry-After before any work',
  }),
  SEND_QUEUE_TIME_MAX_MS: num({
    default: 1000,
    desc: 'A send that waited longer than this since its X-Request-Start stamp (edge, gateway) gets 503 with Retry-After before any work; 0: off',
  }),
  REQUESTS_IN_FLIGHT_MAX: num({
    default: 16,
    desc: 'Requests other than sends worked on at once, callers gone or not; more wait in line',
  }),
  REQUESTS_QUEUED_MAX: num({
    default: 1024,
    desc: 'Requests waiting in that line beyond which new ones get 503 with Retry-After',
  }),
  REQUEST_QUEUE_TIME_MAX_MS: num({
    default: 5000,
    desc: 'A request that waited in line longer than this since its X-Request-Start stamp (else its arrival) gets 503 with Retry-After instead of being worked on',
  }),
  SEND_DEADLINE: duration({
    default: 8,
    desc: 'A send not stored within this is refused (callers give up at 10 s)',
  }),
  AUTH_URL: str({
    default: '',
    desc: 'Base URL of auth, asked whether new member ids are people (empty: member ids are trusted)',
  }),
  UPLOAD_URL: str({
    default: '',
    desc: 'Base URL of the upload service, asked about uploads whose event has not arrived yet (empty: events only)',
  }),
  RELAY_INTERVAL: duration({ default: 10, desc: 'How often events stored as unpublished are retried' }),
};

export type MessageConfig = ReturnType<typeof loadMessageConfig>;

export function loadMessageConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(messageConfigSpec, env);
}
