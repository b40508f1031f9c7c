import { describe, expect, it } from 'vitest';
import { ConfigError, duration, loadConfig, port, str } from './index.ts';

const spec = { PORT: port(), NAME: str(), TTL: duration({ default: 900 }) };

describe('loadConfig', () => {
  it('returns typed values and applies defaults', () => {
    const config = loadConfig(spec, { PORT: '4001', NAME: 'auth' });
    expect(config).toMatchObject({ PORT: 4001, NAME: 'auth', TTL: 900 });
  });

  it('parses durations into seconds', () => {
    expect(loadConfig(spec, { PORT: '1', NAME: 'x', TTL: '7d' }).TTL).toBe(604800);
  });

  it('names every bad or missing variable in one line', () => {
    const load = () => loadConfig(spec, { PORT: 'abc', TTL: '5 minutes' });
    expect(load).toThrow(ConfigError);
    try {
      load();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toMatch(/PORT="abc" is invalid/);
      expect(message).toMatch(/NAME is missing/);
      expect(message).toMatch(/TTL="5 minutes" is invalid: expected a duration/);
    }
  });
});
