/**
 * What the server tells a hosted page, in a JSON data block it writes into the HTML (a data
 * block is not a script: the CSP lets nothing but the bundle run). The server decides
 * everything security-relevant — which page, and a `redirect_url` already checked against the
 * allowed origins — so the page never trusts its own address for where to send the user.
 */

/** The hosted pages. */
export type PageName = "sign-in" | "sign-up" | "account" | "reset-password" | "verify-email";

/** The configuration block, as the server writes it. */
export interface PageConfig {
  page: PageName;
  /** `GATEHOUSE_APP_NAME`, or null. */
  appName: string | null;
  /** Where to go after signing in: the request's checked `redirect_url`, or null for the account page. */
  redirectURL: string | null;
  /** Path of each page, and of the API root, under `GATEHOUSE_URL`'s path. */
  paths: Record<PageName, string> & { api: string };
}

/** The element id of the configuration block. */
export const CONFIG_ELEMENT_ID = "gatehouse-config";

/** Reads the configuration block the server wrote into the page. */
export function readPageConfig(document: Document): PageConfig {
  const element = document.getElementById(CONFIG_ELEMENT_ID);
  if (!element?.textContent) throw new Error("This page must be served by Gatehouse.");
  return JSON.parse(element.textContent) as PageConfig;
}
