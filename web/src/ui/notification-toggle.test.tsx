import { render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NotificationToggle } from './notification-toggle.tsx';

const requestPermission = vi.fn<() => Promise<NotificationPermission>>();
const FakeNotification = { permission: 'default' as NotificationPermission, requestPermission };

const bell = () => screen.getByRole('button', { name: 'Desktop notifications' });

describe('NotificationToggle', () => {
  beforeEach(() => {
    localStorage.clear();
    FakeNotification.permission = 'default';
    requestPermission.mockReset();
    vi.stubGlobal('Notification', FakeNotification);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('asks for permission when turned on, remembers it, and turns off again', async () => {
    requestPermission.mockImplementation(async () => {
      FakeNotification.permission = 'granted';
      return 'granted';
    });
    const { unmount } = render(<NotificationToggle />);
    expect(bell().getAttribute('aria-pressed')).toBe('false');
    await userEvent.click(bell());
    expect(requestPermission).toHaveBeenCalledTimes(1);
    expect(bell().getAttribute('aria-pressed')).toBe('true');
    expect(localStorage.getItem('palaver.notifications')).toBe('on');

    // Remembered across a reload.
    unmount();
    render(<NotificationToggle />);
    expect(bell().getAttribute('aria-pressed')).toBe('true');
    await userEvent.click(bell());
    expect(bell().getAttribute('aria-pressed')).toBe('false');
    expect(localStorage.getItem('palaver.notifications')).toBe('off');
    expect(requestPermission).toHaveBeenCalledTimes(1);
  });

  it('says so when the browser refuses', async () => {
    requestPermission.mockImplementation(async () => {
      FakeNotification.permission = 'denied';
      return 'denied';
    });
    render(<NotificationToggle />);
    await userEvent.click(bell());
    expect(bell().getAttribute('aria-pressed')).toBe('false');
    expect(localStorage.getItem('palaver.notifications')).toBe('off');
    const note = document.getElementById(bell().getAttribute('aria-describedby') ?? '');
    expect(note?.textContent).toMatch(/blocked in the browser/);
  });

  it('is not there where the browser has no notifications', () => {
    vi.stubGlobal('Notification', undefined);
    delete (window as { Notification?: unknown }).Notification;
    render(<NotificationToggle />);
    expect(screen.queryByRole('button', { name: 'Desktop notifications' })).toBeNull();
  });
});
