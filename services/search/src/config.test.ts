import { documentedVariables } from '@palaver/testing';
import { describe, expect, it } from 'vitest';
import { loadSearchConfig, searchConfigSpec } from './config.ts';

describe('search config', () => {
  it('is documented variable for variable in the README', async () => {
    expect(await documentedVariables('README.md', '### search')).toEqual(
      Object.keys(searchConfigSpec).sort(),
    );
  });

  it('names a missing index database in one line', () => {
    expect(() => loadSearchConfig({ AMQP_URL: 'amqp://x', REDIS_URL: 'redis://x' })).toThrow(
      /POSTGRES_URL is missing/,
    );
  });
});
