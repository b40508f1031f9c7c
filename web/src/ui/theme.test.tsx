import { render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { savedTheme, ThemeToggle } from './theme.tsx';

describe('ThemeToggle', () => {
  beforeEach(() => {
    localStorage.clear();
    delete document.documentElement.dataset.theme;
  });

  it('moves through system, light and dark, sets the document scheme and remembers it', async () => {
    render(<ThemeToggle />);
    const button = screen.getByRole('button', { name: /^Auto colour scheme/ });
    await userEvent.click(button);
    expect(document.documentElement.dataset.theme).toBe('light');
    await userEvent.click(button);
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(savedTheme()).toBe('dark');
    await userEvent.click(button);
    expect(document.documentElement.dataset.theme).toBeUndefined();
    expect(savedTheme()).toBe('system');
    expect(button.getAttribute('aria-label')).toBe('Auto colour scheme. Switch to light');
  });
});
