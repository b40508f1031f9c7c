import { request } from 'node:http';

// No vitest here: the upload benchmark sends its files the same way.

/**
 * POSTs one file of `size` bytes to `${base}/uploads` as multipart, generated while it is
 * sent (`content` gives the bytes from an offset on, as many as it likes), so neither side
 * holds the whole file. Resolves with the answer, whatever its status.
 */
export function streamUpload(
  base: string,
  file: {
    authorization: string;
    size: number;
    name: string;
    type: string;
    content: (offset: number) => Buffer;
    boundary?: string;
  },
): Promise<{ status: number; body: string }> {
  const boundary = file.boundary ?? 'palaver-streamed-upload';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\n` +
      `Content-Type: ${file.type}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const req = request(`${base}/uploads`, {
      method: 'POST',
      headers: {
        authorization: file.authorization,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + file.size + tail.length,
      },
    });
    req.on('response', (response) => {
      let body = '';
      response.on('data', (data) => {
        body += data;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      let ok = sent > 0 || req.write(head);
      while (ok && sent < file.size) {
        const piece = file.content(sent).subarray(0, file.size - sent);
        sent += piece.length;
        ok = req.write(piece);
      }
      if (sent >= file.size) req.end(tail);
      else req.once('drain', pump);
    };
    pump();
  });
}
