import { backendsSpec, listenSpec, loadConfig, num, str, url } from '@palaver/config';

export const searchConfigSpec = {
  ...listenSpec(4005),
  ...backendsSpec('palaver.search'),
  POSTGRES_URL: str({
    desc: 'PostgreSQL URL naming the index database (UTF-8, LC_CTYPE such as C.UTF-8), e.g. postgres://postgres@127.0.0.1:15432/palaver_search',
  }),
  POSTGRES_POOL: num({ default: 10, desc: 'Most connections to PostgreSQL' }),
  SEARCH_TIMEOUT_MS: num({ default: 3000, desc: 'A query running longer is cancelled (statement_timeout)' }),
  MESSAGE_URL: url({ desc: 'The message service, asked for the caller’s conversations on every query' }),
};

export type SearchConfig = ReturnType<typeof loadSearchConfig>;

export function loadSearchConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(searchConfigSpec, env);
}
