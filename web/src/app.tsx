import { useEffect, useMemo, useState } from 'react';
import { AuthSession } from './api/auth-session.ts';
import { PalaverApi } from './api/palaver-api.ts';
import { ChatScreen } from './ui/chat-screen.tsx';
import { SignInScreen } from './ui/sign-in-screen.tsx';

/** Signed out: the sign-in screen. Signed in: the chat, rebuilt for each person. */
export function App() {
  const auth = useMemo(() => new AuthSession(), []);
  const api = useMemo(() => new PalaverApi(auth), [auth]);
  const [userId, setUserId] = useState(auth.session?.user.id ?? null);
  useEffect(() => auth.subscribe((session) => setUserId(session?.user.id ?? null)), [auth]);

  if (!userId) return <SignInScreen api={api} onSignedIn={(result) => auth.signIn(result)} />;
  return (
    <ChatScreen
      key={userId}
      auth={auth}
      api={api}
      onLogout={() => {
        // Sign out here at once; the server revokes the session (and its sockets) meanwhile.
        api.logout().catch(() => {});
        setTimeout(() => auth.signOut(), 0);
        window.location.hash = '';
      }}
    />
  );
}
