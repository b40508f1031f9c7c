import type { AvatarRef } from '@palaver/contracts';
import { useState } from 'react';
import { initials } from './format.ts';
import { useUploadLinks } from './upload-links.ts';

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

/**
 * The person's picture when they have one, else initials on a colour derived from the name,
 * with an optional presence dot. Hidden from screen readers: the name is always beside it.
 * `src` shows a picture not uploaded yet (the profile dialog's preview).
 */
export function Avatar(props: {
  name: string;
  online?: boolean | undefined;
  avatar?: AvatarRef | null | undefined;
  src?: string | undefined;
  /** 96 px (the profile dialog) or 20 px (beside a sender's name); 40 px otherwise. */
  large?: boolean;
  small?: boolean;
}) {
  const { name, online } = props;
  return (
    <span
      className={`avatar${props.large ? ' large' : ''}${props.small ? ' small' : ''}`}
      style={{ background: `var(--avatar-${avatarTone(name)})` }}
      aria-hidden="true"
    >
      {initials(name) || '?'}
      {props.src ? (
        <Picture src={props.src} />
      ) : (
        props.avatar && <UploadedPicture uploadId={props.avatar.uploadId} />
      )}
      {online !== undefined && <span className={online ? 'presence online' : 'presence'} />}
    </span>
  );
}

/** An avatar upload's square thumbnail, through a signed link (fetched again as it expires). */
function UploadedPicture({ uploadId }: { uploadId: string }) {
  const links = useUploadLinks(uploadId);
  if (!links || links === 'error') return null;
  return <Picture src={links.thumbnailUrl ?? links.url} />;
}

/** Over the initials, which stay beneath while it loads and if it fails to. */
function Picture({ src }: { src: string }) {
  const [failed, setFailed] = useState<string | null>(null);
  if (failed === src) return null;
  return <img className="avatar-picture" src={src} alt="" onError={() => setFailed(src)} />;
}
