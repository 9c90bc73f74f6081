import { unexpectedResponseError, withContext } from './errors.js';
import type { Exchange } from './executor.js';
import { readPage } from './paging.js';
import { GraphError, type PageHandled, type ReadOutcome } from './types.js';

/**
 * The three outcomes of a read, over any way of fetching a URL (a plain GET or a $batch item).
 * A 404 is absent; anything else that is not a success is failed, never an empty result.
 */

export type Fetch = (url: string) => Promise<Exchange>;

export async function readOne<T>(fetch: Fetch, url: string): Promise<ReadOutcome<T>> {
  const exchange = await fetch(url);
  if (exchange.ok) return { status: 'found', value: exchange.response.body as T };
  if (exchange.error.status === 404) return { status: 'absent' };
  return { status: 'failed', error: exchange.error };
}

/** Every page, following @odata.nextLink; one failed page fails the whole list */
export async function readAll<T>(fetch: Fetch, url: string): Promise<ReadOutcome<T[]>> {
  const items: T[] = [];
  const read = await readPages<T>(fetch, url, (page) => {
    for (const item of page) items.push(item);
  });
  return read.status === 'found' ? { status: 'found', value: items } : read;
}

/**
 * Every page, following @odata.nextLink, each handed to `onPage` as it comes; the next page is
 * asked for once `onPage` is done with this one (so a caller that cannot keep up holds the read
 * back), and not at all when it answers 'stop'. Found means every page was read (or the handler
 * stopped); a failed page fails the whole list, and page 1 answering 404 is absent.
 */
export async function readPages<T>(fetch: Fetch, url: string, onPage: (items: T[], page: number) => PageHandled | Promise<PageHandled>): Promise<ReadOutcome<void>> {
  const seen = new Set<string>([url]);
  let next = url;
  for (let page = 1; ; page++) {
    const exchange = await fetch(next);
    if (!exchange.ok) {
      if (page === 1) return exchange.error.status === 404 ? { status: 'absent' } : { status: 'failed', error: exchange.error };
      return {
        status: 'failed',
        error: withContext(exchange.error, `Page ${page} of ${url} could not be read, so the whole list is reported as failed`),
      };
    }
    const parsed = readPage<T>(exchange.response.body);
    if (!parsed.ok) {
      return { status: 'failed', error: unexpectedResponseError('GET', next, `page ${page}: ${parsed.reason}`, exchange.response.requestId, exchange.attempts) };
    }
    if ((await onPage(parsed.items, page)) === 'stop') return { status: 'found', value: undefined };
    if (parsed.nextLink === undefined) return { status: 'found', value: undefined };
    if (seen.has(parsed.nextLink)) {
      return {
        status: 'failed',
        error: new GraphError(`GET ${url} failed: page ${page} links back to a page already read; Graph's paging is looping. Run the sync again later.`, {
          code: 'PagingLoop',
          method: 'GET',
          url,
          requestId: exchange.response.requestId,
          attempts: exchange.attempts,
        }),
      };
    }
    seen.add(parsed.nextLink);
    next = parsed.nextLink;
  }
}
