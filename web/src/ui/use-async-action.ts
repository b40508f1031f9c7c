import { useState } from 'react';
import { describeError } from '../api/api-error.ts';

/**
 * Runs what a person asked for (a sign-in, a save, an edit): busy while it runs, and what went
 * wrong, in words, if it failed. A success that closes the screen unmounts it in the same
 * render that ends `busy`, so it never shows as ready again on its way out.
 */
export function useAsyncAction(describe: (failure: unknown) => string = describeError) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(describe(failure));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}
