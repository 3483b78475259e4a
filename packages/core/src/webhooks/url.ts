/**
 * Validation of webhook endpoint URLs when they are saved: the early, friendly half of the SSRF
 * policy. It refuses what can be refused from the URL alone — the wrong scheme, credentials in
 * the URL, IP literals of forbidden addresses, `localhost` — with a 422 naming the field. The
 * authoritative check runs again at every delivery, on the address the name resolves to then
 * (see `address-policy.ts` and the node sender), because DNS can change after the URL is saved.
 */
import { ValidationError } from "../errors/index.js";
import { checkWebhookAddress, parseIPAddress } from "./address-policy.js";

/** Longest accepted endpoint URL. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

function invalid(detail: string): ValidationError {
  return new ValidationError([{ pointer: "/url", detail }]);
}

/**
 * Checks an endpoint URL and returns it normalized (as the WHATWG URL parser writes it).
 *
 * @throws ValidationError (422 `validation_failed`, pointer `/url`) when it is refused.
 * @example
 * ```ts
 * validateWebhookURL("https://hooks.example.com/gatehouse", { allowPrivateNetworks: false });
 * ```
 */
export function validateWebhookURL(value: string, options: { allowPrivateNetworks: boolean }): string {
  if (value.length > MAX_WEBHOOK_URL_LENGTH) {
    throw invalid(`url can be at most ${MAX_WEBHOOK_URL_LENGTH} characters long.`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid("url must be an absolute URL such as https://example.com/webhooks.");
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && options.allowPrivateNetworks)) {
    throw invalid(
      options.allowPrivateNetworks ? "url must use https or http." : "url must use https (plain http is refused).",
    );
  }
  // Not echoed: it may be a password.
  if (url.username || url.password) throw invalid("url must not contain a user name or password.");
  if (url.hash) throw invalid("url must not have a fragment.");
  // A fully qualified name may end in a dot; `localhost.` is still this machine.
  const host = url.hostname.replace(/\.$/, "").toLowerCase();
  if (parseIPAddress(host)) {
    const verdict = checkWebhookAddress(host, options);
    if (!verdict.allowed) throw invalid(`url points to ${verdict.reason}, which webhooks may not reach.`);
  } else if (!options.allowPrivateNetworks && (host === "localhost" || host.endsWith(".localhost"))) {
    throw invalid("url points to this machine (localhost), which webhooks may not reach.");
  }
  return url.toString();
}
