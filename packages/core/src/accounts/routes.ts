/**
 * HTTP routes of password accounts: sign-up, password sign-in and sign-out.
 */
import { z } from "zod";
import { clearedSessionCookie, readCredential, type CookieSettings } from "../http/credentials.js";
import { defineRoute, type AnyRoute, type RouteContext } from "../http/route.js";
import { bearerTokenJSON, userAndSessionJSON } from "../sessions/schema.js";
import { sessionIssuedResponse } from "../sessions/respond.js";
import type { ClientDetails, RevocationReason, SessionService } from "../sessions/service.js";
import { signInBody, signUpBody } from "./schema.js";
import type { AccountService } from "./service.js";

/** What the account routes need. */
export interface AccountRouteDependencies {
  accounts: AccountService;
  sessions: SessionService;
  cookie: CookieSettings;
  clock: () => number;
}

const issuedResponses = (status: number, description: string) => ({
  [status]: {
    description: `${description}. Cookie transport: \`{user, session}\` and a session cookie. Bearer transport: the token response.`,
    schema: z.union([userAndSessionJSON, bearerTokenJSON]),
  },
});

function clientDetails(context: RouteContext<unknown>): ClientDetails {
  return { ip: context.clientIP, userAgent: context.request.headers.get("user-agent") };
}

/** The account routes. */
export function accountRoutes({ accounts, sessions, cookie, clock }: AccountRouteDependencies): AnyRoute[] {
  // A sign-in never adopts the session the client already had (session fixation); it ends it.
  async function endPresentedSession(context: RouteContext<unknown>, reason: RevocationReason): Promise<void> {
    const token = readCredential(context.request.headers, context.transport, cookie);
    const presented = token ? await sessions.authenticate(token) : null;
    if (presented) await sessions.revoke(presented.session, reason);
  }

  return [
    defineRoute({
      method: "POST",
      path: "/v1/sign-up",
      summary: "Create a password account and sign in",
      tag: "Accounts",
      auth: "none",
      body: signUpBody,
      responses: {
        ...issuedResponses(201, "Account created and signed in"),
        409: { description: "`email_taken`" },
        422: { description: "`validation_failed`, `password_too_short`, `password_too_long`, `password_too_common`" },
        429: { description: "`rate_limited`" },
      },
      async handle(context) {
        await endPresentedSession(context, "replaced_by_sign_in");
        const { user, issued } = await accounts.signUp(context.body, clientDetails(context));
        return sessionIssuedResponse(201, context.transport, user, issued, cookie, clock());
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/sign-in/password",
      summary: "Sign in with email and password",
      tag: "Accounts",
      auth: "none",
      body: signInBody,
      responses: {
        ...issuedResponses(200, "Signed in"),
        401: { description: "`invalid_credentials`: the same answer for an unknown email and a wrong password" },
        429: { description: "`rate_limited`, with `Retry-After`" },
      },
      async handle(context) {
        await endPresentedSession(context, "replaced_by_sign_in");
        const { user, issued } = await accounts.signIn(context.body, clientDetails(context));
        return sessionIssuedResponse(200, context.transport, user, issued, cookie, clock());
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/sign-out",
      summary: "End the current session",
      tag: "Accounts",
      auth: "none",
      responses: { 204: { description: "Signed out (also when there was no session)" } },
      async handle(context) {
        await endPresentedSession(context, "sign_out");
        const headers = new Headers({ "cache-control": "no-store" });
        if (context.transport === "cookie") headers.set("set-cookie", clearedSessionCookie(cookie));
        return new Response(null, { status: 204, headers });
      },
    }),
  ];
}
