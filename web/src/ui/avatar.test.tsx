import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fireEvent, render, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { Avatar, avatarTone, avatarTones } from './avatar.tsx';
import { contrast } from './contrast.ts';
import { type ResolveLinks, UploadLinksContext } from './upload-links.ts';

// The stylesheet as shipped (vitest hands CSS imports, even `?raw`, to its CSS pipeline: empty).
const styles = readFileSync(join(import.meta.dirname, '../styles.css'), 'utf8');

/** A custom property of styles.css written as `light-dark(#light, #dark)`. */
function lightDark(name: string): { light: string; dark: string } {
  const found = new RegExp(`${name}:\\s*light-dark\\((#[0-9a-f]{6}),\\s*(#[0-9a-f]{6})\\)`, 'i').exec(styles);
  if (!found?.[1] || !found[2]) throw new Error(`${name} is not a light-dark() pair of #rrggbb colours`);
  return { light: found[1], dark: found[2] };
}

describe('Avatar colours', () => {
  it('checks contrast as WCAG defines it', () => {
    expect(contrast('#ffffff', '#000000')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  it('puts the initials at 4.5:1 or more on every avatar colour, light and dark', () => {
    const text = lightDark('--avatar-text');
    const tones = [...styles.matchAll(/--avatar-(\d+):/g)].map((match) => Number(match[1]));
    expect(tones).toEqual([...Array(avatarTones).keys()]);
    for (const tone of tones) {
      const background = lightDark(`--avatar-${tone}`);
      expect(contrast(text.light, background.light), `tone ${tone}, light`).toBeGreaterThanOrEqual(4.5);
      expect(contrast(text.dark, background.dark), `tone ${tone}, dark`).toBeGreaterThanOrEqual(4.5);
    }
    // The old own-avatar colour (hsl(…) 45% 42% behind white) was below that.
    expect(contrast('#ffffff', '#3b9c7e')).toBeLessThan(4.5);
  });

  it('gives a name the same colour every time, from the palette', () => {
    const { container } = render(
      <>
        <Avatar name="Me Myself" />
        <Avatar name="Me Myself" />
        <Avatar name="Olga" online />
      </>,
    );
    const [first, second, third] = [...container.querySelectorAll<HTMLElement>('.avatar')];
    expect(first?.style.background).toBe(`var(--avatar-${avatarTone('Me Myself')})`);
    expect(second?.style.background).toBe(first?.style.background);
    expect(third?.textContent).toBe('OL');
    expect(third?.querySelector('.presence.online')).toBeTruthy();
    const spread = new Set(['Ann', 'Bob', 'Cy', 'Dee', 'Eve', 'Fay', 'Gus', 'Hal'].map(avatarTone));
    expect(spread.size).toBeGreaterThan(3);
  });
});

describe('Avatar pictures', () => {
  const uploadId = 'a'.repeat(24);
  const withLinks = (resolve: ResolveLinks, avatar = { uploadId }) =>
    render(
      <UploadLinksContext.Provider value={resolve}>
        <Avatar name="Olga Petrova" avatar={avatar} online />
      </UploadLinksContext.Provider>,
    );

  it("shows the avatar's square thumbnail over the initials, hidden from screen readers beside the name", async () => {
    const resolve = vi.fn(async () => ({
      url: '/api/uploads/a/original',
      thumbnailUrl: '/api/uploads/a/thumb',
    }));
    const { container } = withLinks(resolve);
    const avatar = container.querySelector('.avatar') as HTMLElement;
    // The initials are there at once, while the link is fetched.
    expect(avatar.textContent).toBe('OP');
    const img = await waitFor(() => {
      const found = avatar.querySelector('img');
      if (!found) throw new Error('no picture yet');
      return found;
    });
    expect(resolve).toHaveBeenCalledWith(uploadId);
    expect(img.getAttribute('src')).toBe('/api/uploads/a/thumb');
    // Decorative: the name is beside every avatar, so it is not said twice.
    expect(img.getAttribute('alt')).toBe('');
    expect(avatar.getAttribute('aria-hidden')).toBe('true');
    expect(avatar.querySelector('.presence.online')).toBeTruthy();
  });

  it('keeps the coloured initials when the picture cannot be linked or fails to load', async () => {
    const failing = withLinks(async () => Promise.reject(new Error('gone')));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(failing.container.querySelector('img')).toBeNull();
    expect(failing.container.textContent).toBe('OP');
    failing.unmount();

    const { container } = withLinks(async () => ({
      url: '/api/uploads/a/original',
      thumbnailUrl: '/broken',
    }));
    const img = await waitFor(() => container.querySelector('img') ?? Promise.reject(new Error('none')));
    fireEvent.error(img);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector<HTMLElement>('.avatar')?.style.background).toBe(
      `var(--avatar-${avatarTone('Olga Petrova')})`,
    );
  });

  it('shows no picture for a user without one, and a local preview when given one', () => {
    const resolve = vi.fn();
    const { container } = render(
      <UploadLinksContext.Provider value={resolve}>
        <Avatar name="Ann" avatar={null} />
        <Avatar name="Ann" src="blob:preview" large />
      </UploadLinksContext.Provider>,
    );
    const [plain, preview] = [...container.querySelectorAll('.avatar')];
    expect(plain?.querySelector('img')).toBeNull();
    expect(preview?.querySelector('img')?.getAttribute('src')).toBe('blob:preview');
    expect(preview?.classList.contains('large')).toBe(true);
    expect(resolve).not.toHaveBeenCalled();
  });
});
