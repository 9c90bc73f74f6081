/**
 * Graph URLs: requests name a path relative to the endpoint ('/v1.0/users?$top=5') or an absolute
 * @odata.nextLink. Batch items need the path relative to the version root ('/users?$top=5').
 */

export interface GraphEndpoint {
  origin: string;
  /** Path prefix of the endpoint without a trailing slash ('' for https://graph.microsoft.com) */
  basePath: string;
}

export interface GraphTarget {
  url: URL;
  /** 'v1.0', 'beta' */
  version: string;
  /** Path and query relative to the version root, starting with '/' (what a $batch item carries) */
  relative: string;
  /** Path and query, for messages and events */
  display: string;
}

export class GraphUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphUrlError';
  }
}

export function parseEndpoint(endpoint: string): GraphEndpoint {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new GraphUrlError(`The Graph endpoint '${endpoint}' is not a URL: give the Graph root, e.g. https://graph.microsoft.com`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new GraphUrlError(`The Graph endpoint '${endpoint}' must be an https:// URL`);
  }
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}

/**
 * Resolve a relative or absolute Graph URL. An absolute URL must point at the endpoint itself: the
 * bearer token is never sent to another host, whatever a nextLink says.
 */
export function resolveGraphUrl(endpoint: GraphEndpoint, input: string): GraphTarget {
  let url: URL;
  if (/^https?:\/\//i.test(input)) {
    url = new URL(input);
    if (url.origin !== endpoint.origin || !isUnder(url.pathname, endpoint.basePath)) {
      throw new GraphUrlError(`The URL ${url.origin}${url.pathname} is not on the Graph endpoint ${endpoint.origin}${endpoint.basePath}; it was not requested`);
    }
  } else {
    url = new URL(endpoint.origin + endpoint.basePath + (input.startsWith('/') ? input : `/${input}`));
  }
  const rest = url.pathname.slice(endpoint.basePath.length);
  const match = /^\/([^/?]+)(\/.*)?$/.exec(rest);
  const version = match?.[1];
  if (!match || version === undefined || version === '$batch') {
    throw new GraphUrlError(`The Graph URL ${url.pathname} does not start with an API version ('/v1.0/...' or '/beta/...')`);
  }
  return {
    url,
    version,
    relative: (match[2] ?? '/') + url.search,
    display: url.pathname + url.search,
  };
}

/** The $batch endpoint of a version */
export function batchTarget(endpoint: GraphEndpoint, version: string): GraphTarget {
  return resolveGraphUrl(endpoint, `/${version}/$batch`);
}

function isUnder(pathname: string, basePath: string): boolean {
  return basePath === '' || pathname === basePath || pathname.startsWith(`${basePath}/`);
}
