/**
 * What the server tells a hosted page, in a JSON data block it writes into the HTML (a data
 * block is not a script: the CSP lets nothing but the bundle run). The server decides
 * everything security-relevant — which page, and a `redirect_url` already checked against the
 * allowed origins — so the page never trusts its own address for where to send the user.
 */

import type { SecondFactorChallenge, SecondFactorEnrollmentChallenge } from "@gatehouse/react";

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
  /** What the server offers: the passkey button shows only where passkeys work. */
  features: { passkeys: boolean; sms: boolean };
}

/** The element id of the configuration block. */
export const CONFIG_ELEMENT_ID = "gatehouse-config";

/** The challenge statuses a fragment may carry, as the API spells them. */
const CHALLENGE_STATUSES = ["needs_second_factor", "needs_second_factor_enrollment"] as const;
const FACTORS = ["totp", "backup_code", "sms"] as const;

/** A sign-in challenge handed over in the address's fragment, with where to go afterwards. */
export interface FragmentChallenge {
  challenge: SecondFactorChallenge | SecondFactorEnrollmentChallenge;
  /** The fragment's `redirect_url` once it is known to be safe, else null (the page's own applies). */
  redirectURL: string | null;
}

/**
 * Reads a challenge from the fragment (`#status=…&challenge=…&factors=…&redirect_url=…`, as the
 * magic-link redirect writes it) and removes the fragment from the address and history at once.
 *
 * The fragment is written by whoever made the link, so its `redirect_url` is trusted only when
 * the server vouched for it: when it is on this page's origin, or equals the `redirect_url` the
 * server checked. For another origin the page reloads once with it in the query, where the server
 * checks it against the allowed origins (the fragment survives the reload; it is never sent):
 * `"reloading"` is returned and nothing should render.
 */
export function readFragmentChallenge(window: Window, config: PageConfig): FragmentChallenge | null | "reloading" {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  const status = fragment.get("status");
  const challenge = fragment.get("challenge");
  if (!challenge || !CHALLENGE_STATUSES.some((each) => each === status)) return null;
  const requested = fragment.get("redirect_url");
  let redirectURL: string | null = null;
  if (requested) {
    const url = URL.canParse(requested, window.location.href) ? new URL(requested, window.location.href) : null;
    const sameOrigin = url !== null && url.origin === window.location.origin && /^https?:$/.test(url.protocol);
    if (sameOrigin || requested === config.redirectURL) {
      redirectURL = url!.href;
    } else if (url !== null && !new URLSearchParams(window.location.search).has("redirect_url")) {
      window.location.replace(
        `${window.location.pathname}?redirect_url=${encodeURIComponent(requested)}${window.location.hash}`,
      );
      return "reloading";
    }
  }
  window.history.replaceState(null, "", `${window.location.pathname}${window.location.search}`);
  const factors = (fragment.get("factors") ?? "").split(",");
  // The fragment does not say how long the challenge lives; the server's answer to a stale one
  // (invalid_challenge) sends the user back to the first step anyway.
  const expiresIn = 300;
  const handed: FragmentChallenge["challenge"] =
    status === "needs_second_factor"
      ? { status, challenge, factors: FACTORS.filter((each) => factors.includes(each)), expiresIn }
      : {
          status: "needs_second_factor_enrollment",
          challenge,
          factors: (["totp", "sms"] as const).filter((each) => factors.includes(each)),
          expiresIn,
        };
  return { challenge: handed, redirectURL };
}

/** Reads the configuration block the server wrote into the page. */
export function readPageConfig(document: Document): PageConfig {
  const element = document.getElementById(CONFIG_ELEMENT_ID);
  if (!element?.textContent) throw new Error("This page must be served by Gatehouse.");
  return JSON.parse(element.textContent) as PageConfig;
}
