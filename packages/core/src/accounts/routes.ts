/**
 * HTTP routes of password accounts: sign-up, password sign-in and sign-out.
 */
import { z } from "zod";
import { defineRoute, type AnyRoute, type RouteContext } from "../http/route.js";
import { bearerTokenJSON, cookieSignInJSON } from "../sessions/schema.js";
import type { ClientDetails, RevocationReason, SessionService } from "../sessions/service.js";
import type { SessionTransport } from "../sessions/transport.js";
import { signInBody, signUpBody } from "./schema.js";
import type { AccountService } from "./service.js";

/** What the account routes need. */
export interface AccountRouteDependencies {
  accounts: AccountService;
  sessions: SessionService;
  transport: SessionTransport;
}

const issuedResponses = (status: number, description: string) => ({
  [status]: {
    description: `${description}. Cookie transport: \`{user, session}\` and cookies. Bearer transport: the OAuth 2 token response.`,
    schema: z.union([cookieSignInJSON, bearerTokenJSON]),
  },
});

function clientDetails(context: RouteContext<unknown>): ClientDetails {
  return { ip: context.clientIP, userAgent: context.request.headers.get("user-agent") };
}

/** The account routes. */
export function accountRoutes({ accounts, sessions, transport }: AccountRouteDependencies): AnyRoute[] {
  // A sign-in never adopts the session the client already had (session fixation); it ends it.
  async function endPresentedSession(context: RouteContext<unknown>, reason: RevocationReason): Promise<void> {
    const presented = await transport.presentedSession(context.request, context.transport);
    if (presented) await sessions.revoke(presented, reason);
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
        return transport.issuedResponse(201, context.transport, user, issued);
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
        return transport.issuedResponse(200, context.transport, user, issued);
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
        if (context.transport === "cookie") {
          for (const value of transport.clearedCookies()) headers.append("set-cookie", value);
        }
        return new Response(null, { status: 204, headers });
      },
    }),
  ];
}
