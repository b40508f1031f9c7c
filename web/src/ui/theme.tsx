import { useState } from 'react';

/** The person's colour scheme: the system's (default), or always light or dark. */
export type Theme = 'system' | 'light' | 'dark';

const key = 'palaver.theme';
const order: Theme[] = ['system', 'light', 'dark'];

export function savedTheme(): Theme {
  try {
    const value = localStorage.getItem(key);
    return order.includes(value as Theme) ? (value as Theme) : 'system';
  } catch {
    return 'system';
  }
}

/** Sets the scheme on the document (styles.css reads `data-theme`) and remembers it. */
export function applyTheme(theme: Theme) {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(key, theme);
  } catch {
    // Storage denied: the choice lasts for this page only.
  }
}

/** One button that moves through system → light → dark. */
export function ThemeToggle() {
  const [theme, setTheme] = useState(savedTheme);
  const next = order[(order.indexOf(theme) + 1) % order.length] as Theme;
  const label = { system: 'Auto', light: 'Light', dark: 'Dark' } as const;
  return (
    <button
      type="button"
      className="link"
      // The name starts with the text shown, so speech input can say what it sees.
      aria-label={`${label[theme]} colour scheme. Switch to ${label[next].toLowerCase()}`}
      onClick={() => {
        applyTheme(next);
        setTheme(next);
      }}
    >
      {label[theme]}
    </button>
  );
}
