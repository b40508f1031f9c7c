import { render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AttachmentView } from './attachment-view.tsx';
import { UploadLinksContext } from './upload-links.ts';

const file = { uploadId: 'u1', name: 'notes.pdf', mime: 'application/pdf', size: 2048 };

describe('AttachmentView', () => {
  afterEach(() => vi.restoreAllMocks());

  it('downloads a file through a link fetched at the click, not the one rendered minutes ago', async () => {
    let issued = 0;
    const resolve = vi.fn(async () => ({ url: `/api/uploads/u1?sig=${++issued}` }));
    const clicked: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(`${this.getAttribute('href')} as ${this.download}`);
    });
    render(
      <UploadLinksContext.Provider value={resolve}>
        <AttachmentView attachment={file} />
      </UploadLinksContext.Provider>,
    );
    const link = await screen.findByRole('link', { name: /notes\.pdf/ });
    expect(link.getAttribute('href')).toBe('/api/uploads/u1?sig=1');

    await userEvent.click(link);
    await vi.waitFor(() => expect(clicked).toEqual(['/api/uploads/u1?sig=2 as notes.pdf']));
    expect(resolve).toHaveBeenCalledTimes(2);
  });
});
