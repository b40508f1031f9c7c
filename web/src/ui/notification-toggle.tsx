import { useEffect, useId, useState } from 'react';
import type { ChatClient } from '../chat/chat-client.ts';
import {
  disableNotifications,
  enableNotifications,
  notificationsOn,
  notificationsSupported,
  watchForNotifications,
} from '../notifications/desktop-notifications.ts';
import { BellIcon } from './icons.tsx';

/** Desktop notifications for direct messages and mentions while the tab is hidden (opt-in). */
export function useDesktopNotifications(client: ChatClient): void {
  useEffect(() => watchForNotifications(client.store), [client]);
}

type Status = 'on' | 'off' | 'blocked';

const currentStatus = (): Status =>
  notificationsOn()
    ? 'on'
    : notificationsSupported() && Notification.permission === 'denied'
      ? 'blocked'
      : 'off';

const titles: Record<Status, string> = {
  on: 'Desktop notifications are on: direct messages and mentions, while Palaver is in the background',
  off: 'Turn on desktop notifications for direct messages and mentions',
  blocked: 'Desktop notifications are blocked in the browser’s site settings',
};

/**
 * The header's bell: turning it on asks the browser for permission (once; a refusal is
 * the browser's to undo), and the choice is remembered. Absent where there are none.
 */
export function NotificationToggle() {
  const [status, setStatus] = useState(currentStatus);
  const blockedNote = useId();
  if (!notificationsSupported()) return null;
  const toggle = async () => {
    if (status === 'on') {
      disableNotifications();
      return setStatus('off');
    }
    const answer = await enableNotifications();
    setStatus(answer === 'granted' ? 'on' : answer === 'denied' ? 'blocked' : 'off');
  };
  return (
    <>
      <button
        type="button"
        className="link icon-toggle"
        aria-pressed={status === 'on'}
        aria-label="Desktop notifications"
        aria-describedby={status === 'blocked' ? blockedNote : undefined}
        title={titles[status]}
        onClick={() => void toggle()}
      >
        <BellIcon off={status !== 'on'} />
      </button>
      <span id={blockedNote} hidden>
        {titles.blocked}
      </span>
    </>
  );
}
