/**
 * User-to-User information (RFC 7433): encoding data into a `User-to-User` header value and
 * reading one back. Pure.
 *
 * RFC 7433 §4.1:
 *
 *     UUI             = "User-to-User" HCOLON uui-value *(COMMA uui-value)
 *     uui-value       = uui-data *(SEMI uui-param)
 *     uui-data        = token / quoted-string
 *     uui-param       = pkg-param / cont-param / enc-param / generic-param
 *     pkg-param       = "purpose" EQUAL pkg-param-value
 *     cont-param      = "content" EQUAL cont-param-value
 *     enc-param       = "encoding" EQUAL enc-param-value
 *     enc-param-value = token / "hex"
 *
 * `hex` is the one encoding RFC 7433 registers (IANA "UUI Encoding"); a package (`purpose`) may
 * define others. `ascii` is what Genesys, Avaya and others read as plain text; it is not
 * registered, so it is only sent when configured, with `encoding=ascii` so the receiver knows.
 * The ISDN UUI package (RFC 7434, `purpose=isdn-uui`) carries the Q.931 user-user octets,
 * whose first octet is the protocol discriminator (Q.931 §4.5.30); some receivers expect one
 * (Genesys strips the first octet of a plain `User-to-User`), so it is configurable.
 */

export interface UuiEncoding {
  readonly encoding: 'hex' | 'ascii';
  readonly purpose?: string;
  readonly content?: string;
  /** Octet 0–255 put before the data (hex only). */
  readonly protocolDiscriminator?: number;
  /** Most octets of data (before encoding, without the discriminator). */
  readonly maxOctets: number;
}

export type UuiResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** RFC 3261 §25.1 token characters. */
const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;
/** Printable US-ASCII, what `encoding=ascii` may carry. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The header value for `data` (text, sent as its UTF-8 bytes), e.g.
 * `04616263;encoding=hex;purpose=isdn-uui;content=isdn-uui`.
 */
export function encodeUui(data: string, spec: UuiEncoding): UuiResult<string> {
  const bytes = Buffer.from(data, 'utf8');
  if (bytes.length === 0) return { ok: false, reason: 'UUI data is empty' };
  if (bytes.length > spec.maxOctets) {
    return { ok: false, reason: `UUI data is ${bytes.length} octets, more than ${spec.maxOctets}` };
  }
  let encoded: string;
  if (spec.encoding === 'hex') {
    const pd = spec.protocolDiscriminator;
    if (pd !== undefined && (!Number.isInteger(pd) || pd < 0 || pd > 255)) {
      return { ok: false, reason: `protocol discriminator ${pd} is not an octet` };
    }
    const prefix = pd === undefined ? '' : pd.toString(16).padStart(2, '0');
    // Upper case, as carriers and contact-centre platforms print it; hex digits compare either way.
    encoded = (prefix + bytes.toString('hex')).toUpperCase();
  } else {
    if (spec.protocolDiscriminator !== undefined) {
      return { ok: false, reason: 'a protocol discriminator needs encoding hex' };
    }
    if (!PRINTABLE_ASCII.test(data))
      return { ok: false, reason: 'UUI data for encoding ascii is not printable ASCII' };
    encoded = TOKEN.test(data) ? data : quote(data);
  }
  const params = [`encoding=${spec.encoding}`];
  for (const [name, v] of [
    ['purpose', spec.purpose],
    ['content', spec.content],
  ] as const) {
    if (v === undefined) continue;
    if (!TOKEN.test(v)) return { ok: false, reason: `UUI ${name} '${v}' is not a token (RFC 7433 §4.1)` };
    params.push(`${name}=${v}`);
  }
  return { ok: true, value: [encoded, ...params].join(';') };
}

/** RFC 3261 §25.1 quoted-string: `\` escapes `"` and `\`. */
function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export interface DecodedUui {
  /** The data octets (for hex, after the discriminator when one was expected). */
  readonly octets: Buffer;
  /** The data as text (UTF-8 for hex, as sent for ascii). */
  readonly text: string;
  /**
   * The `encoding` parameter; read as `hex` when absent, since RFC 7433 leaves the default to the
   * package and the ISDN package (RFC 7434), the one carriers send, uses hex.
   */
  readonly encoding: string;
  readonly purpose?: string;
  readonly content?: string;
  readonly protocolDiscriminator?: number;
}

/**
 * Read one `uui-value` (the first, when a header holds several). `withDiscriminator` says whether
 * the first octet of hex data is a protocol discriminator (it cannot be told from the value).
 */
export function decodeUui(
  value: string,
  options: { withDiscriminator?: boolean } = {},
): UuiResult<DecodedUui> {
  const split = splitData(value.trim());
  if (!split.ok) return split;
  const { data, rest } = split.value;
  const params = new Map<string, string>();
  for (const raw of rest.split(';')) {
    if (raw.trim() === '') continue;
    const eq = raw.indexOf('=');
    const name = (eq < 0 ? raw : raw.slice(0, eq)).trim().toLowerCase();
    const v = eq < 0 ? '' : raw.slice(eq + 1).trim();
    params.set(name, v);
  }
  const encoding = (params.get('encoding') ?? 'hex').toLowerCase();
  const purpose = params.get('purpose');
  const content = params.get('content');
  const extra = { ...(purpose !== undefined && { purpose }), ...(content !== undefined && { content }) };
  if (encoding !== 'hex') {
    return { ok: true, value: { octets: Buffer.from(data, 'latin1'), text: data, encoding, ...extra } };
  }
  if (!/^(?:[0-9A-Fa-f]{2})+$/.test(data))
    return { ok: false, reason: 'hex UUI data is not an even run of hex digits' };
  let octets = Buffer.from(data, 'hex');
  let protocolDiscriminator: number | undefined;
  if (options.withDiscriminator === true) {
    protocolDiscriminator = octets[0];
    octets = octets.subarray(1);
  }
  return {
    ok: true,
    value: {
      octets,
      text: octets.toString('utf8'),
      encoding,
      ...extra,
      ...(protocolDiscriminator !== undefined && { protocolDiscriminator }),
    },
  };
}

/** The uui-data (unquoted) and what follows it, up to a comma starting another uui-value. */
function splitData(value: string): UuiResult<{ data: string; rest: string }> {
  if (value.startsWith('"')) {
    let data = '';
    for (let i = 1; i < value.length; i++) {
      const c = value[i];
      if (c === '\\' && i + 1 < value.length) {
        data += value[++i];
      } else if (c === '"') {
        return { ok: true, value: { data, rest: untilComma(value.slice(i + 1)) } };
      } else {
        data += c;
      }
    }
    return { ok: false, reason: 'unterminated quoted UUI data' };
  }
  const end = value.search(/[;,]/);
  const data = (end < 0 ? value : value.slice(0, end)).trim();
  if (data === '') return { ok: false, reason: 'UUI data is empty' };
  return { ok: true, value: { data, rest: end < 0 ? '' : untilComma(value.slice(end)) } };
}

function untilComma(text: string): string {
  const comma = text.indexOf(',');
  return comma < 0 ? text : text.slice(0, comma);
}
