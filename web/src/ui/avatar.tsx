import { initials } from './format.ts';

/**
 * How many avatar colours styles.css defines (`--avatar-0` … `--avatar-9`): each one, in light
 * and in dark, has at least 4.5:1 contrast with `--avatar-text` (avatar.test.tsx checks).
 */
export const avatarTones = 10;

/** The colour a name always gets: a hash of its characters, one of {@link avatarTones}. */
export function avatarTone(name: string): number {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) % 100_003;
  return hash % avatarTones;
}

/** Initials on a colour derived from the name, with an optional presence dot. */
export function Avatar({ name, online }: { name: string; online?: boolean | undefined }) {
  return (
    <span className="avatar" style={{ background: `var(--avatar-${avatarTone(name)})` }} aria-hidden="true">
      {initials(name) || '?'}
      {online !== undefined && <span className={online ? 'presence online' : 'presence'} />}
    </span>
  );
}
