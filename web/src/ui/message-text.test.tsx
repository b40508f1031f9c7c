import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { MessageText } from './message-text.tsx';

describe('MessageText', () => {
  it('links web and mail addresses, opening in a new tab without opener or referrer', () => {
    render(
      <p>
        <MessageText text="See https://example.com/a?b=1 or example.org, or write to ada@example.com." />
      </p>,
    );
    const links = screen.getAllByRole('link');
    expect(links.map((link) => link.getAttribute('href'))).toEqual([
      'https://example.com/a?b=1',
      'http://example.org',
      'mailto:ada@example.com',
    ]);
    for (const link of links) {
      expect(link.getAttribute('target')).toBe('_blank');
      expect(link.getAttribute('rel')).toBe('noopener noreferrer');
    }
    expect(screen.getByText(/^See/).textContent).toBe(
      'See https://example.com/a?b=1 or example.org, or write to ada@example.com.',
    );
  });

  it('leaves other schemes as text', () => {
    render(
      <p data-testid="body">
        <MessageText text="javascript:alert(1) ftp://files.example.com data:text/html,hi README.md" />
      </p>,
    );
    expect(screen.queryAllByRole('link').map((link) => link.getAttribute('href'))).toEqual([]);
    expect(screen.getByTestId('body').textContent).toBe(
      'javascript:alert(1) ftp://files.example.com data:text/html,hi README.md',
    );
  });
});
