/**
 * CORS for the configured origins only: an app on another origin of the deployment (an SPA on
 * `app.example.com`, or on another port in development) may call the API with credentials;
 * every other origin gets no CORS headers, so browsers keep its scripts from reading answers.
 */

const ALLOWED_METHODS = "GET, POST, PATCH, PUT, DELETE";
const ALLOWED_HEADERS = "Content-Type, Authorization, Auth-Transport, Last-Event-ID";
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS headers for an actual request from an allowed origin; none otherwise. (`Vary: Origin`,
 * which every answer carries either way, is among the handler's headers for every answer.)
 */
export function corsHeaders(request: Request, allowedOrigins: Set<string>): [string, string][] {
  const origin = request.headers.get("origin");
  if (origin === null || !allowedOrigins.has(origin)) return [];
  return [
    ["access-control-allow-origin", origin],
    ["access-control-allow-credentials", "true"],
  ];
}

/** The answer to a preflight: 204, permissive only for allowed origins. */
export function preflightResponse(request: Request, allowedOrigins: Set<string>): Response {
  const origin = request.headers.get("origin");
  const headers = new Headers({ "cache-control": "no-store" });
  if (origin !== null && allowedOrigins.has(origin)) {
    headers.set("access-control-allow-methods", ALLOWED_METHODS);
    headers.set("access-control-allow-headers", ALLOWED_HEADERS);
    headers.set("access-control-max-age", String(PREFLIGHT_MAX_AGE_SECONDS));
  }
  return new Response(null, { status: 204, headers });
}
