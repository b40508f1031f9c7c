import { documentedVariables } from '@palaver/testing';
import { describe, expect, it } from 'vitest';
import { messageConfigSpec } from './config.ts';

describe('message config', () => {
  it('is documented variable for variable in the README', async () => {
    expect(await documentedVariables('README.md', '### message')).toEqual(
      Object.keys(messageConfigSpec).sort(),
    );
  });
});
