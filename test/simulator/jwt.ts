/** Compact JWS (RS256 / PS256) with Node's crypto: sign, decode, verify, JWKS. */
import { constants, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export type JwtAlg = 'RS256' | 'PS256';

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

export function b64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

export function signJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  privateKey: KeyObject | string,
): string {
  const alg = (header['alg'] as JwtAlg | undefined) ?? 'RS256';
  const h = b64url(JSON.stringify({ typ: 'JWT', ...header, alg }));
  const p = b64url(JSON.stringify(payload));
  const input = `${h}.${p}`;
  const sig =
    alg === 'PS256'
      ? sign('sha256', Buffer.from(input), {
          key: privateKey as KeyObject,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        })
      : sign('sha256', Buffer.from(input), privateKey);
  return `${input}.${b64url(sig)}`;
}

/** Splits and parses a compact JWS; undefined when it is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as unknown;
    if (!header || typeof header !== 'object' || !payload || typeof payload !== 'object') return undefined;
    return {
      header: header as Record<string, unknown>,
      payload: payload as Record<string, unknown>,
      signingInput: `${h}.${p}`,
      signature: Buffer.from(s, 'base64url'),
    };
  } catch {
    return undefined;
  }
}

export function verifyJwtSignature(jwt: DecodedJwt, publicKey: KeyObject | string): boolean {
  const alg = jwt.header['alg'];
  const data = Buffer.from(jwt.signingInput);
  try {
    if (alg === 'RS256') return verify('sha256', data, publicKey, jwt.signature);
    if (alg === 'PS256') {
      return verify(
        'sha256',
        data,
        { key: publicKey as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
        jwt.signature,
      );
    }
  } catch {
    return false;
  }
  return false;
}

export interface Jwk {
  kty: string;
  use: 'sig';
  kid: string;
  x5t?: string;
  n: string;
  e: string;
  x5c?: string[];
  alg?: string;
}

export function publicJwk(key: KeyObject | string, kid: string, extra: Partial<Jwk> = {}): Jwk {
  const pub = typeof key === 'string' ? createPublicKey(key) : key.type === 'private' ? createPublicKey(key) : key;
  const jwk = pub.export({ format: 'jwk' }) as { kty: string; n: string; e: string };
  return { kty: jwk.kty, use: 'sig', kid, n: jwk.n, e: jwk.e, ...extra };
}
