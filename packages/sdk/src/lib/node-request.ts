/**
 * Turns a Node-style request (Express, Fastify) into the web `Request` the verifier reads:
 * method, absolute URL and headers, no body. Nothing a client sends can make it throw: a Host
 * header that is not a host, a method `Request` refuses, a header value `Headers` rejects.
 */

/** What the adapters know about a Node-style request. */
export interface NodeRequestParts {
  method: string | undefined;
  /** `http` or `https`, as the framework resolved it (trusting proxies as configured). */
  protocol: string;
  host: string | undefined;
  /** The request target as received: path and query. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The absolute URL of the request; `http://localhost` stands in for a Host header that is not a
 * host (the URL only matters for redirects back to the page).
 *
 * @example
 * ```ts
 * absoluteURL({ protocol: "https", host: "app.example.com", path: "/account?tab=1" }); // "https://app.example.com/account?tab=1"
 * ```
 */
export function absoluteURL(parts: Pick<NodeRequestParts, "protocol" | "host" | "path">): string {
  const protocol = parts.protocol === "https" ? "https" : "http";
  // Concatenated, not resolved: a target like `//other.example/x` must stay a path of this host.
  const path = parts.path.startsWith("/") ? parts.path : "/";
  try {
    return new URL(`${protocol}://${parts.host ?? "localhost"}${path}`).href;
  } catch {
    return new URL(path, "http://localhost").href;
  }
}

/**
 * Builds the web `Request`.
 *
 * @example
 * ```ts
 * const request = toWebRequest({ method: req.method, protocol: req.protocol, host: req.get("host"), path: req.originalUrl, headers: req.headers });
 * ```
 */
export function toWebRequest(parts: NodeRequestParts): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(parts.headers)) {
    // HTTP/2 pseudo-headers (`:path`) are not headers; Headers would refuse them.
    if (value === undefined || name.startsWith(":")) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      try {
        headers.append(name, item);
      } catch {
        // A value Headers refuses cannot be a credential the verifier would accept.
      }
    }
  }
  const url = absoluteURL(parts);
  const method = (parts.method ?? "GET").toUpperCase();
  try {
    return new Request(url, { method, headers });
  } catch {
    // CONNECT, TRACE and TRACK are forbidden in fetch; the verifier only needs the headers.
    return new Request(url, { method: "OPTIONS", headers });
  }
}
