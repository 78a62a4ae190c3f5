/** The headers last merged with one `authorization` value. */
interface MergedCache {
  authorization: string | undefined;
  headers: Readonly<Record<string, string>>;
}

/**
 * Request headers for the REST transport. The static part (user agent headers, `accept`, and `content-type` when
 * there is a body) is built once; a call adds its credentials and its own headers. A call with no headers of its own
 * reuses the last merged set while the credentials stay the same (a token lives for an hour), so the hot path
 * allocates nothing here. undici only reads these objects, so sharing them between concurrent calls is safe.
 */
export class RequestHeaders {
  readonly #plain: Readonly<Record<string, string>>;
  readonly #json: Readonly<Record<string, string>>;
  readonly #plainCache: MergedCache = { authorization: undefined, headers: {} };
  readonly #jsonCache: MergedCache = { authorization: undefined, headers: {} };

  constructor(userAgentHeaders: Readonly<Record<string, string>>) {
    this.#plain = { ...userAgentHeaders, accept: 'application/json' };
    this.#json = { ...this.#plain, 'content-type': 'application/json' };
  }

  /** Precedence, lowest first: static headers, the call's own headers, credentials (a call cannot replace them). */
  build(
    auth: Readonly<Record<string, string>>,
    callHeaders: Readonly<Record<string, string>> | undefined,
    hasBody: boolean,
  ): Readonly<Record<string, string>> {
    const base = hasBody ? this.#json : this.#plain;
    if (callHeaders !== undefined) return { ...base, ...callHeaders, ...auth };
    let size = 0;
    for (const _ in auth) size++;
    if (size === 0) return base;
    const authorization = size === 1 ? auth['authorization'] : undefined;
    if (authorization === undefined) return { ...base, ...auth };
    const cache = hasBody ? this.#jsonCache : this.#plainCache;
    if (cache.authorization !== authorization) {
      cache.headers = { ...base, authorization };
      cache.authorization = authorization;
    }
    return cache.headers;
  }
}
