import type { Upload } from '@palaver/contracts';
import { createContext, useContext, useEffect, useState } from 'react';

/**
 * Signed links for attachments. Messages name uploads by id only, and `<img src>` cannot
 * carry a bearer token, so links come from `GET /api/uploads/:id/meta` (or the upload answer
 * for one's own files) and are fetched again before they expire (they live ~5 minutes).
 */
export interface UploadLinks {
  url: string;
  thumbnailUrl?: string;
}

export type ResolveLinks = (uploadId: string) => Promise<UploadLinks>;

const freshFor = 4 * 60_000;

export function createLinkCache(fetchMeta: (uploadId: string) => Promise<Upload>) {
  const cache = new Map<string, { links: Promise<UploadLinks>; at: number }>();
  const resolve: ResolveLinks = (uploadId) => {
    const held = cache.get(uploadId);
    if (held && Date.now() - held.at < freshFor) return held.links;
    const links = retrying(() => fetchMeta(uploadId)).then(toLinks);
    cache.set(uploadId, { links, at: Date.now() });
    links.catch(() => cache.delete(uploadId));
    return links;
  };
  const seed = (upload: Upload) =>
    cache.set(upload.id, { links: Promise.resolve(toLinks(upload)), at: Date.now() });
  return { resolve, seed };
}

function toLinks(upload: Upload): UploadLinks {
  return { url: upload.url, ...(upload.thumbnailUrl ? { thumbnailUrl: upload.thumbnailUrl } : {}) };
}

/** Access to a received file follows the message by a broker hop, so an early 404 is retried. */
async function retrying<T>(load: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await load();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
    }
  }
}

export const UploadLinksContext = createContext<ResolveLinks>(() =>
  Promise.reject(new Error('no link source')),
);

export function useUploadLinks(uploadId: string): UploadLinks | 'error' | null {
  const resolve = useContext(UploadLinksContext);
  const [links, setLinks] = useState<UploadLinks | 'error' | null>(null);
  useEffect(() => {
    let live = true;
    resolve(uploadId).then(
      (found) => live && setLinks(found),
      () => live && setLinks('error'),
    );
    return () => {
      live = false;
    };
  }, [resolve, uploadId]);
  return links;
}
