/** `N` values of `T`, as a tuple, so each can be destructured without an undefined check. */
export type Several<T, N extends number, Made extends T[] = []> = Made['length'] extends N
  ? Made
  : Several<T, N, [T, ...Made]>;

/** `count` things made at once: `const [ada, bob] = await several(2, makeUser)`. */
export async function several<T, N extends number>(count: N, make: () => Promise<T>): Promise<Several<T, N>> {
  return (await Promise.all(Array.from({ length: count }, () => make()))) as Several<T, N>;
}
