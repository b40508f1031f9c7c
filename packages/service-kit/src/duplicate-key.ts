/**
 * Duplicate-key errors from MongoDB and FerretDB: a unique-index insert is the one atomic
 * compare-and-set on every backend, so callers branch on these instead of reading first.
 */
interface WriteError {
  index: number;
  code?: number;
}

const writeErrorsOf = (error: unknown): WriteError[] => {
  const writeErrors = (error as { writeErrors?: WriteError[] | WriteError } | null)?.writeErrors;
  if (!writeErrors) return [];
  return Array.isArray(writeErrors) ? writeErrors : [writeErrors];
};

/** True when the write failed only on unique keys (a single insert, or every failed one of a bulk). */
export function isDuplicateKey(error: unknown): boolean {
  const writeErrors = writeErrorsOf(error);
  if (writeErrors.length > 0) return writeErrors.every((e) => e.code === 11000);
  return (error as { code?: number } | null)?.code === 11000;
}

/** Positions of the documents a bulk insert reported as duplicates (rethrows anything else). */
export function duplicateIndexes(error: unknown): number[] {
  if (!isDuplicateKey(error)) throw error;
  return writeErrorsOf(error).map((e) => e.index);
}

/**
 * Runs a unique-key insert as a compare-and-set: true when this call inserted, false when
 * the key was taken already (by an earlier or a concurrent writer); anything else throws.
 */
export async function insertedUnlessTaken(insert: Promise<unknown>): Promise<boolean> {
  try {
    await insert;
    return true;
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    return false;
  }
}
