import type { AuthResult } from '@palaver/contracts';
import {
  maxDisplayNameLength,
  maxPasswordLength,
  maxUsernameLength,
  minPasswordLength,
  minUsernameLength,
} from '@palaver/contracts/limits';
import { type FormEvent, useState } from 'react';
import type { PalaverApi } from '../api/palaver-api.ts';
import { useAsyncAction } from './use-async-action.ts';

/** Log in or create an account; both end signed in. */
export function SignInScreen({
  api,
  onSignedIn,
}: {
  api: PalaverApi;
  onSignedIn: (result: AuthResult) => void;
}) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const { busy, error, setError, run } = useAsyncAction();

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const username = String(form.get('username') ?? '').trim();
    const password = String(form.get('password') ?? '');
    const displayName = String(form.get('displayName') ?? '').trim() || username;
    void run(async () =>
      onSignedIn(
        mode === 'login'
          ? await api.login({ username, password })
          : await api.register({ username, password, displayName }),
      ),
    );
  };

  const registering = mode === 'register';
  return (
    <main className="sign-in">
      <h1 className="brand">Palaver</h1>
      <form className="sign-in-card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h2 id="sign-in-title">{registering ? 'Create an account' : 'Log in'}</h2>
        <CredentialFields registering={registering} />
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Please wait…' : registering ? 'Create account' : 'Log in'}
        </button>
        <p className="switch-mode">
          {registering ? 'Already have an account?' : 'New here?'}{' '}
          <button
            type="button"
            className="link"
            onClick={() => {
              setMode(registering ? 'login' : 'register');
              setError(null);
            }}
          >
            {registering ? 'Log in' : 'Create an account'}
          </button>
        </p>
      </form>
    </main>
  );
}

/** Username and password, and a display name when creating an account. */
function CredentialFields({ registering }: { registering: boolean }) {
  return (
    <>
      <label>
        Username
        <input
          name="username"
          autoComplete="username"
          required
          minLength={minUsernameLength}
          maxLength={maxUsernameLength}
          pattern="[A-Za-z0-9_.\-]+"
          title={`${minUsernameLength}–${maxUsernameLength} letters, digits, _ . or -`}
        />
      </label>
      {registering && (
        <label>
          Display name
          <input
            name="displayName"
            autoComplete="name"
            maxLength={maxDisplayNameLength}
            placeholder="How others see you"
          />
        </label>
      )}
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete={registering ? 'new-password' : 'current-password'}
          required
          minLength={minPasswordLength}
          maxLength={maxPasswordLength}
        />
      </label>
      {registering && <p className="hint">{`At least ${minPasswordLength} characters.`}</p>}
    </>
  );
}
