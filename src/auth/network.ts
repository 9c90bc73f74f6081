import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { Logger } from '../log/index.js';

/** The OAuth error body of Microsoft Entra's token and device code endpoints */
export interface OAuthErrorBody {
  error: string;
  error_description?: string;
  error_codes?: number[];
  suberror?: string;
  trace_id?: string;
  correlation_id?: string;
}

export interface RecordedError {
  url: string;
  status: number;
  body: OAuthErrorBody;
}

/** Response fields that are credentials: masked the moment a response carries them */
const secretFields = ['access_token', 'refresh_token', 'id_token', 'device_code'] as const;
/** Request fields that are credentials */
const requestSecretFields = ['client_secret', 'client_assertion', 'refresh_token', 'device_code', 'assertion'] as const;

/**
 * MSAL's network client, through Node's fetch like MSAL's own, with two additions:
 *
 * - every credential a sign-in request or response carries (client secret or assertion, access,
 *   refresh and id tokens, the device code session) is registered with the logger as a secret
 *   before it leaves or before MSAL sees it;
 * - the last error body is kept. MSAL's device-code polling reports a refused sign-in only by its
 *   OAuth error ("invalid_grant"); the AADSTS number that says why (53003 Conditional Access,
 *   50076 MFA, 70019 expiry) is in the body's error_codes, which this keeps.
 */
export class SignInNetworkClient implements INetworkModule {
  private last: RecordedError | undefined;
  private lastFailure: Error | undefined;

  constructor(private readonly log: Logger) {}

  /** The last OAuth error body received since the last reset() */
  get lastError(): RecordedError | undefined {
    return this.last;
  }

  /** The last network failure (no answer at all) since the last reset() */
  get lastNetworkFailure(): Error | undefined {
    return this.lastFailure;
  }

  reset(): void {
    this.last = undefined;
    this.lastFailure = undefined;
  }

  async sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    return this.send<T>(url, 'GET', options, timeout);
  }

  async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>(url, 'POST', options);
  }

  private async send<T>(url: string, method: 'GET' | 'POST', options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    if (method === 'POST' && options?.body) {
      // What MSAL sends is as secret as what it gets: the client's secret or signed assertion, the
      // refresh token it redeems, the device code it polls with.
      const form = new URLSearchParams(options.body);
      for (const field of requestSecretFields) {
        const value = form.get(field);
        if (value) this.log.secret(value);
      }
    }
    const controller = new AbortController();
    const timer = timeout ? setTimeout(() => controller.abort(), timeout) : undefined;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: options?.headers ?? {},
        body: method === 'POST' ? (options?.body ?? '') : undefined,
        signal: controller.signal,
      });
    } catch (e) {
      const cause = e as Error;
      const message = cause.name === 'AbortError' ? `request timeout after ${timeout} ms` : `network request failed: ${cause.message}${causeText(cause)}`;
      this.lastFailure = new Error(`${method} ${new URL(url).origin}${new URL(url).pathname}: ${message}`);
      throw this.lastFailure;
    } finally {
      if (timer) clearTimeout(timer);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      this.lastFailure = new Error(`${method} ${new URL(url).pathname} answered ${response.status} with a body that is not JSON`);
      throw this.lastFailure;
    }
    if (body && typeof body === 'object') {
      const record = body as Record<string, unknown>;
      for (const field of secretFields) {
        const value = record[field];
        if (typeof value === 'string') this.log.secret(value);
      }
      if (typeof record['error'] === 'string') {
        this.last = { url, status: response.status, body: record as unknown as OAuthErrorBody };
      }
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key] = value;
    });
    return { headers, body: body as T, status: response.status };
  }
}

function causeText(e: Error): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause ? ` (${cause.code ?? ''}${cause.code && cause.message ? ' ' : ''}${cause.message ?? ''})` : '';
}

/** The AADSTS number of an error body (error_codes, or the description's AADSTSnnn) */
export function aadstsOfBody(body: OAuthErrorBody | undefined): string | undefined {
  if (!body) return undefined;
  const first = body.error_codes?.[0];
  if (first !== undefined) return String(first);
  return body.error_description?.match(/AADSTS(\d+)/)?.[1];
}
