import type { Upload } from '@palaver/contracts';
import { fireEvent, render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { Composer, type ComposerProps } from './composer.tsx';

const uploaded: Upload = {
  id: 'a'.repeat(24),
  uploaderId: 'c'.repeat(24),
  name: 'cat.png',
  mime: 'image/png',
  size: 2048,
  sha256: 'b'.repeat(64),
  width: 10,
  height: 10,
  url: '/api/uploads/x?expires=1&sig=s',
  thumbnailUrl: '/api/uploads/x/thumbnail?expires=1&sig=s',
  createdAt: '2026-11-25T10:00:00.000Z',
};

function setup(overrides: Partial<ComposerProps> = {}) {
  const props: ComposerProps = {
    onSend: vi.fn(),
    onTyping: vi.fn(),
    upload: vi.fn(async () => [uploaded]),
    online: true,
    ...overrides,
  };
  render(<Composer {...props} />);
  return props;
}

describe('Composer', () => {
  it('sends with Enter, adds a line with Shift+Enter, and clears after sending', async () => {
    const props = setup();
    const box = screen.getByRole('textbox', { name: 'Message' });
    await userEvent.type(box, 'first line{Shift>}{Enter}{/Shift}second line');
    expect(props.onSend).not.toHaveBeenCalled();
    expect(props.onTyping).toHaveBeenLastCalledWith(true);
    await userEvent.type(box, '{Enter}');
    expect(props.onSend).toHaveBeenCalledWith('first line\nsecond line', []);
    expect((box as HTMLTextAreaElement).value).toBe('');
  });

  it('does not send blank text', async () => {
    const props = setup();
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), '   {Enter}');
    expect(props.onSend).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Send' }).hasAttribute('disabled')).toBe(true);
  });

  it('uploads a picked file with a progress bar, then sends it with the text', async () => {
    let finish: (uploads: Upload[]) => void = () => {};
    const upload = vi.fn(
      (_files: File[], onProgress: (fraction: number) => void) =>
        new Promise<Upload[]>((resolve) => {
          onProgress(0.4);
          finish = resolve;
        }),
    );
    const props = setup({ upload });
    const file = new File(['png'], 'cat.png', { type: 'image/png' });
    await userEvent.upload(screen.getByTestId('file-input'), file);
    expect(upload).toHaveBeenCalledWith([file], expect.any(Function));
    expect(screen.getByText('Uploading… 40%')).toBeTruthy();
    expect(screen.getByRole('progressbar')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Send' }).hasAttribute('disabled')).toBe(true);

    finish([uploaded]);
    await screen.findByRole('list', { name: 'Attached files' });
    expect(screen.queryByRole('progressbar')).toBeNull();
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), 'look{Enter}');
    expect(props.onSend).toHaveBeenCalledWith('look', [uploaded]);
  });

  it('takes files from a paste and from a drop', async () => {
    const props = setup();
    const file = new File(['x'], 'notes.pdf', { type: 'application/pdf' });
    fireEvent.paste(screen.getByRole('textbox', { name: 'Message' }), { clipboardData: { files: [file] } });
    await screen.findByRole('list', { name: 'Attached files' });
    expect(props.upload).toHaveBeenCalledTimes(1);
    fireEvent.drop(screen.getByRole('form', { name: 'Write a message' }), {
      dataTransfer: { files: [file] },
    });
    await vi.waitFor(() => expect(props.upload).toHaveBeenCalledTimes(2));
  });

  it('explains a failed upload and keeps the text', async () => {
    setup({ upload: vi.fn(async () => Promise.reject(new Error('Upload failed hard'))) });
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), 'draft');
    await userEvent.upload(screen.getByTestId('file-input'), new File(['x'], 'a.bin'));
    expect((await screen.findByRole('alert')).textContent).toMatch(/Upload failed/);
    expect((screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement).value).toBe('draft');
  });

  it('cannot attach while offline', () => {
    setup({ online: false });
    expect(screen.getByRole('button', { name: 'Attach files' }).hasAttribute('disabled')).toBe(true);
  });
});
