import { afterAll, beforeAll } from 'vitest';

/**
 * What a test file (or one `describe` block) starts once for all its tests (a service, an
 * event recorder): started before them and closed after them, in place of a `let`, a
 * `beforeAll` and an `afterAll` in every file. The object is returned at once and filled in by `beforeAll`, so tests and
 * later hooks use it as the started thing itself (not at the top level of the file). Hooks
 * run in the order they are declared and close in the reverse order, so one started later
 * may use one started earlier.
 */
export function startedForFile<T extends { close: () => Promise<void> }>(start: () => Promise<T>): T {
  const started = {} as T;
  beforeAll(async () => {
    Object.assign(started, await start());
  });
  // Unset when starting failed: there is nothing to close.
  afterAll(() => started.close?.());
  return started;
}
