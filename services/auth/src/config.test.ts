import { documentedVariables } from '@palaver/testing';
import { describe, expect, it } from 'vitest';
import { authConfigSpec } from './config.ts';

describe('auth config', () => {
  it('is documented variable for variable in the README', async () => {
    expect(await documentedVariables('README.md', '### auth')).toEqual(Object.keys(authConfigSpec).sort());
  });
});
