import { documentedVariables } from '@palaver/testing';
import { describe, expect, it } from 'vitest';
import { uploadConfigSpec } from './config.ts';

describe('upload config', () => {
  it('is documented variable for variable in docs/uploads.md', async () => {
    expect(await documentedVariables('docs/uploads.md', '## Configuration')).toEqual(
      Object.keys(uploadConfigSpec).sort(),
    );
  });
});
