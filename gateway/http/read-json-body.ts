/**
 * Reading a request body as JSON, within a size limit. Bodies are optional: a request without one
 * yields undefined; a request with one must say `application/json` and hold valid JSON.
 */
import type { IncomingMessage } from 'node:http';
import { BadApiRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.js';

/**
 * @returns the parsed body, or undefined when the request carries none
 * @throws PayloadTooLargeError (413), UnsupportedMediaTypeError (415), BadApiRequestError (400)
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 'NaN');
  // Refuse before reading when the client announces too much.
  if (Number.isFinite(declared) && declared > maxBytes) throw new PayloadTooLargeError(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) throw new PayloadTooLargeError(maxBytes);
    chunks.push(buf);
  }
  if (size === 0) return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json' && !type.endsWith('+json')) throw new UnsupportedMediaTypeError(type);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new BadApiRequestError('request body is not valid JSON');
  }
}
