import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { Avatar, avatarTone, avatarTones } from './avatar.tsx';
import { contrast } from './contrast.ts';

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
