/** What an avatar may be (detected from the bytes): the images every browser shows inline. */
export const avatarImageTypes = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;

/** What a file is, as attachments, uploads and their events all describe it. */
export interface FileFacts {
  name: string;
  mime: string;
  size: number;
  width?: number;
  height?: number;
}

/** A file record's facts; width and height only when known (images). */
export function fileFacts(file: {
  name: string;
  mime: string;
  size: number;
  width?: number | null | undefined;
  height?: number | null | undefined;
}): FileFacts {
  return {
    name: file.name,
    mime: file.mime,
    size: file.size,
    ...(file.width ? { width: file.width } : {}),
    ...(file.height ? { height: file.height } : {}),
  };
}
