import { initials } from './format.ts';

/** Initials on a colour derived from the name, with an optional presence dot. */
export function Avatar({ name, online }: { name: string; online?: boolean | undefined }) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) % 360;
  return (
    <span className="avatar" style={{ background: `hsl(${hash} 45% 42%)` }} aria-hidden="true">
      {initials(name) || '?'}
      {online !== undefined && <span className={online ? 'presence online' : 'presence'} />}
    </span>
  );
}
