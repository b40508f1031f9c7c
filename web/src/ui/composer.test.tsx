import type { Upload } from '@palaver/contracts';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/api-error.ts';
import { Composer, type ComposerProps } from './composer.tsx';

const uploaded: Upload = {
  id: 'a'.repeat(24),
  uploaderId: 'c'.repeat(24),
  purpose: 'attachment',
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
  const view = render(<Composer {...props} />);
  return {
    ...props,
    rerender: (next: Partial<ComposerProps>) => view.rerender(<Composer {...props} {...next} />),
  };
}

const box = () => screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
const pasteFile = (file = new File(['x'], 'notes.pdf', { type: 'application/pdf' })) =>
  fireEvent.paste(box(), { clipboardData: { files: [file] } });

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

  it('refuses a paste or a drop while offline, as the picker does, and forgets it once back', async () => {
    const props = setup({ online: false });
    pasteFile();
    expect(screen.getByRole('alert').textContent).toMatch(/needs a connection/);
    fireEvent.drop(screen.getByRole('form', { name: 'Write a message' }), {
      dataTransfer: { files: [new File(['x'], 'b.pdf')] },
    });
    expect(props.upload).not.toHaveBeenCalled();
    // Still offline (connecting counts as not online): the note stays.
    props.rerender({ online: false });
    expect(screen.getByRole('alert')).toBeTruthy();
    props.rerender({ online: true });
    expect(screen.queryByRole('alert')).toBeNull();
    pasteFile();
    await screen.findByRole('list', { name: 'Attached files' });
    expect(props.upload).toHaveBeenCalledTimes(1);
  });

  it('clears "cannot reach the server" when the connection comes back, not other failures', async () => {
    const upload = vi.fn(async (): Promise<Upload[]> => {
      throw new ApiError('network', 'Cannot reach the server', 0);
    });
    const props = setup({ upload });
    pasteFile();
    expect((await screen.findByRole('alert')).textContent).toMatch(/Upload failed: Cannot reach the server/);
    props.rerender({ online: false });
    props.rerender({ online: true });
    expect(screen.queryByRole('alert')).toBeNull();

    upload.mockRejectedValueOnce(new ApiError('file_too_large', '', 413));
    pasteFile();
    expect((await screen.findByRole('alert')).textContent).toMatch(/too large/);
    props.rerender({ online: false });
    props.rerender({ online: true });
    expect(screen.getByRole('alert').textContent).toMatch(/too large/);
  });

  it('uploads a drop on the composer once, though the conversation around it takes drops too', async () => {
    const upload = vi.fn(async () => [uploaded]);
    const onOuterDrop = vi.fn();
    render(
      // biome-ignore lint/a11y/noStaticElementInteractions: as the conversation view takes drops
      <section onDrop={onOuterDrop}>
        <Composer onSend={vi.fn()} onTyping={vi.fn()} upload={upload} online />
      </section>,
    );
    fireEvent.drop(screen.getByRole('form', { name: 'Write a message' }), {
      dataTransfer: { files: [new File(['x'], 'a.pdf')] },
    });
    await screen.findByRole('list', { name: 'Attached files' });
    expect(upload).toHaveBeenCalledTimes(1);
    expect(onOuterDrop).not.toHaveBeenCalled();
  });

  it('inserts an emoji from the picker at the caret', async () => {
    const props = setup();
    await userEvent.type(box(), 'see you');
    box().setSelectionRange(3, 3);
    await userEvent.click(screen.getByRole('button', { name: 'Insert emoji' }));
    const picker = screen.getByRole('dialog', { name: 'Emoji' });
    await userEvent.click(within(picker).getByRole('button', { name: 'waving hand' }));
    expect(box().value).toBe('see👋 you');
    expect(document.activeElement).toBe(box());
    expect(box().selectionStart).toBe(3 + '👋'.length);
    expect(screen.queryByRole('dialog', { name: 'Emoji' })).toBeNull();
    await userEvent.type(box(), '{Enter}');
    expect(props.onSend).toHaveBeenCalledWith('see👋 you', []);
  });

  it('works the emoji picker from the keyboard: arrows move, Enter picks, Escape closes', async () => {
    setup();
    const trigger = screen.getByRole('button', { name: 'Insert emoji' });
    trigger.focus();
    await userEvent.keyboard('{Enter}');
    expect(trigger.getAttribute('aria-expanded')).toBe('true');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('grinning face');
    await userEvent.keyboard('{ArrowRight}{ArrowDown}');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('thinking face');
    expect((document.activeElement as HTMLElement).tabIndex).toBe(0);
    await userEvent.keyboard('{End}');
    expect(document.activeElement?.getAttribute('aria-label')).toBe('rocket');
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(trigger);
    expect(box().value).toBe('');

    await userEvent.keyboard('{Enter}');
    await userEvent.keyboard('{ArrowRight}{Enter}');
    expect(box().value).toBe('😂');
  });

  it('closes the emoji picker on a click elsewhere', async () => {
    setup();
    await userEvent.click(screen.getByRole('button', { name: 'Insert emoji' }));
    expect(screen.getByRole('dialog', { name: 'Emoji' })).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Send' }).parentElement as HTMLElement);
    expect(screen.queryByRole('dialog', { name: 'Emoji' })).toBeNull();
  });
});
