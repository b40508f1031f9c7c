import type { PublicUser, Upload } from '@palaver/contracts';
import { avatarImageTypes } from '@palaver/contracts/file-facts';
import { maxAvatarBytes, maxDisplayNameLength } from '@palaver/contracts/limits';
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { ApiError, describeError } from '../api/api-error.ts';
import type { ChatClient } from '../chat/chat-client.ts';
import { Avatar } from './avatar.tsx';
import { ModalDialog } from './modal-dialog.tsx';
import { useAsyncAction } from './use-async-action.ts';

const imageTypes: readonly string[] = avatarImageTypes;
const maxMegabytes = maxAvatarBytes / 1024 / 1024;
const wrongType = 'Choose a PNG, JPEG, WebP or GIF image.';
const tooLarge = `Choose a picture of at most ${maxMegabytes} MB.`;

/** The picture as the dialog holds it: as saved, a new file, or removed (`null`). */
type PictureDraft = File | null | undefined;

/**
 * My display name and picture: choose a picture (previewed at once, uploaded on Save) or
 * remove it, and rename. Nothing changes until Save; then name and picture change together.
 */
export function ProfileDialog(props: {
  client: ChatClient;
  me: PublicUser;
  /** A new picture's upload, whose links show it without another request. */
  onUploaded: (upload: Upload) => void;
  onClose: () => void;
  /** More about me, under the form (the people I blocked). */
  children?: ReactNode;
}) {
  const { me } = props;
  const [name, setName] = useState(me.displayName);
  const [picture, setPicture] = useState<PictureDraft>(undefined);
  const { busy, error, setError, run } = useAsyncAction(describeProfileError);
  const preview = useObjectUrl(picture ?? undefined);

  const choose = (file: File | undefined) => {
    if (!file) return;
    if (!imageTypes.includes(file.type)) return setError(wrongType);
    if (file.size > maxAvatarBytes) return setError(tooLarge);
    setError(null);
    setPicture(file);
  };

  const save = (event: FormEvent) => {
    event.preventDefault();
    const displayName = name.trim();
    if (!displayName) return setError('Your name cannot be empty.');
    void run(async () => {
      await props.client.saveProfile(
        {
          ...(displayName !== me.displayName ? { displayName } : {}),
          ...(picture !== undefined ? { picture } : {}),
        },
        props.onUploaded,
      );
      props.onClose();
    });
  };

  return (
    <ModalDialog title="Your profile" onClose={props.onClose}>
      <form className="profile-form" onSubmit={save}>
        <label>
          Display name
          <input
            value={name}
            maxLength={maxDisplayNameLength}
            required
            onChange={(event) => setName(event.target.value)}
          />
        </label>
        <PictureField
          name={name.trim() || me.displayName}
          saved={me.avatar}
          draft={picture}
          preview={preview}
          onChoose={choose}
          onRemove={() => setPicture(null)}
        />
        <FormError error={error} />
        <div className="dialog-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
      {props.children}
    </ModalDialog>
  );
}

function FormError({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert">
      {error}
    </p>
  );
}

/** The preview, what it shows in words (the picture itself is hidden from screen readers), and its buttons. */
function PictureField(props: {
  name: string;
  saved: PublicUser['avatar'];
  draft: PictureDraft;
  preview: string | undefined;
  onChoose: (file: File | undefined) => void;
  onRemove: () => void;
}) {
  const picker = useRef<HTMLInputElement>(null);
  const { draft, saved } = props;
  const has = draft ? true : draft === null ? false : saved !== null;
  const status = draft
    ? `New picture: ${draft.name} (not saved yet)`
    : draft === null && saved
      ? 'Picture removed (not saved yet)'
      : has
        ? 'Your picture'
        : 'No picture: your initials are shown';
  return (
    <fieldset className="profile-picture">
      <legend>Picture</legend>
      <Avatar name={props.name} avatar={draft === undefined ? saved : null} src={props.preview} large />
      <div className="profile-picture-side">
        <p className="hint" aria-live="polite">
          {status}
        </p>
        <div className="profile-picture-actions">
          <button type="button" onClick={() => picker.current?.click()}>
            {has ? 'Change picture' : 'Choose picture'}
          </button>
          {has && (
            <button type="button" onClick={props.onRemove}>
              Remove picture
            </button>
          )}
        </div>
      </div>
      <input
        ref={picker}
        type="file"
        accept={imageTypes.join(',')}
        hidden
        data-testid="avatar-input"
        onChange={(event) => {
          props.onChoose(event.target.files?.[0]);
          event.target.value = '';
        }}
      />
    </fieldset>
  );
}

/** A local file shown before it is uploaded; the URL is released when it is no longer shown. */
function useObjectUrl(file: File | undefined): string | undefined {
  const [url, setUrl] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (!file) return setUrl(undefined);
    const made = URL.createObjectURL(file);
    setUrl(made);
    return () => URL.revokeObjectURL(made);
  }, [file]);
  return url;
}

function describeProfileError(error: unknown): string {
  if (error instanceof ApiError && error.code === 'unsupported_type') return wrongType;
  if (error instanceof ApiError && error.code === 'file_too_large') return tooLarge;
  return describeError(error);
}
