import { useEffect } from 'react';
import { showTabBadge } from '../notifications/tab-badge.ts';

/** The tab says how much is waiting, like every chat app's: in its title and on its icon. */
export function useTabBadge(count: number): void {
  useEffect(() => showTabBadge(count), [count]);
}
