/** Longest name kept, in characters (code points); the extension survives the cut. */
export const maxNameLength = 200;
const maxExtensionLength = 16;

// Control characters, bidi overrides/isolates/marks (which can make `exe.png` read as
// `gnp.exe`), and characters that are separators or reserved on common file systems.
const unsafe = /[\p{Cc}\u200E\u200F\u061C\u202A-\u202E\u2066-\u2069<>:"|?*]/gu;

/**
 * Makes a client-supplied file name safe to show and to offer as a download name. It is
 * never used as a path on disk (blobs are named by hash); this is about what people see.
 */
export function sanitiseFileName(input: string | undefined): string {
  const normalised = (input ?? '').normalize('NFC');
  // Keep only the last path segment, whichever separator the client's system used.
  const base = normalised.split(/[/\\]/).pop() ?? '';
  const cleaned = base
    .replace(unsafe, '')
    .replace(/\s+/g, ' ')
    // Leading dots hide files and make `..`; trailing dots and spaces confuse Windows.
    .replace(/^[\s.]+|[\s.]+$/g, '');
  const chars = Array.from(cleaned);
  if (chars.length === 0) return 'file';
  if (chars.length <= maxNameLength) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 ? Array.from(cleaned.slice(dot)) : [];
  if (extension.length > 1 && extension.length <= maxExtensionLength) {
    const stem = Array.from(cleaned.slice(0, dot)).slice(0, maxNameLength - extension.length);
    return stem.join('').trimEnd() + extension.join('');
  }
  return chars.slice(0, maxNameLength).join('').trimEnd();
}

/** `Content-Disposition` with an ASCII fallback and the exact name per RFC 5987/6266. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
