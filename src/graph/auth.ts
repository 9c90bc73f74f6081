import type { TokenProvider } from './types.js';

/**
 * Access tokens for each attempt. After a 401 the token is refreshed once per request; when many
 * requests get their 401 for the same expired token together, one forced refresh serves them all.
 */
export class TokenSource {
  private latest: string | undefined;
  private refreshing: Promise<string> | undefined;

  constructor(private readonly provider: TokenProvider) {}

  async current(): Promise<string> {
    if (this.refreshing) return this.refreshing;
    const token = await this.provider();
    this.latest = token;
    return token;
  }

  /** A token other than `rejected`: the one another request already refreshed to, or a forced refresh */
  async refresh(rejected: string): Promise<string> {
    if (this.refreshing) return this.refreshing;
    if (this.latest !== undefined && this.latest !== rejected) return this.latest;
    const refreshing = this.provider({ forceRefresh: true });
    this.refreshing = refreshing;
    try {
      const token = await refreshing;
      this.latest = token;
      return token;
    } finally {
      if (this.refreshing === refreshing) this.refreshing = undefined;
    }
  }
}
