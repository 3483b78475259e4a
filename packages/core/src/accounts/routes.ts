/**
 * HTTP routes of password accounts: sign-up, password sign-in and sign-out. Also the helpers
 * every sign-in route answers through, so each hands out its credentials the same way.
 */
import { z } from "zod";
import type { CookieSettings } from "../http/credentials.js";
import { defineRoute, jsonResponse, type AnyRoute, type RouteContext } from "../http/route.js";
import { bearerTokenJSON, cookieSignInJSON } from "../sessions/schema.js";
import type { SessionTransport } from "../sessions/transport.js";
import { deviceCookie, readDeviceToken } from "./devices.js";
import { needsVerificationJSON, signInBody, signUpBody, toUserJSON } from "./schema.js";
import { secondFactorChallengeJSON, toChallengeJSON } from "../mfa/schema.js";
import { isPendingSecondFactor, type AccountService, type SignInClient, type SignInResult } from "./service.js";

/** What the account routes need. */
export interface AccountRouteDependencies {
  accounts: AccountService;
  transport: SessionTransport;
  cookie: CookieSettings;
}

const issuedResponses = (status: number, description: string) => ({
  [status]: {
    description: `${description}. Cookie transport: \`{user, session}\` and cookies. Bearer transport: the OAuth 2 token response.`,
    schema: z.union([cookieSignInJSON, bearerTokenJSON]),
  },
});

/** Who is signing in, from the request: address, user agent, transport and device cookie. */
export function signInClientOf(context: RouteContext<unknown>, cookie: CookieSettings): SignInClient {
  return {
    ip: context.clientIP,
    userAgent: context.request.headers.get("user-agent"),
    transport: context.transport,
    deviceToken: readDeviceToken(context.request.headers, context.transport, cookie),
  };
}

/** Adds the device cookie of a sign-in to its response, when there is one. */
export function withDeviceCookie(response: Response, cookie: CookieSettings, deviceToken: string | null): Response {
  if (deviceToken !== null) response.headers.append("set-cookie", deviceCookie(cookie, deviceToken));
  return response;
}

/**
 * The response to a first step: with a second factor due, the challenge and nothing else (no
 * cookie, no token, not even the device cookie); otherwise the strategy's credentials in the form
 * the transport asks for, plus the device cookie. Every sign-in route answers through this.
 */
export async function signedInResponse(
  status: number,
  context: RouteContext<unknown>,
  result: SignInResult,
  transport: SessionTransport,
  cookie: CookieSettings,
  extra?: Record<string, unknown>,
): Promise<Response> {
  if (isPendingSecondFactor(result)) return jsonResponse(200, toChallengeJSON(result));
  const response = await transport.issuedResponse(status, context.transport, result.user, result.issued, extra);
  return withDeviceCookie(response, cookie, result.deviceToken);
}

/** The documented answer of a first step that needs a second factor. */
export const secondFactorResponse = {
  description:
    "A second factor is due (`needs_second_factor`) or, with MFA required, must be enrolled (`needs_second_factor_enrollment`): a challenge and nothing usable as a session (no cookie, no token)",
  schema: secondFactorChallengeJSON,
};

/** The account routes. */
export function accountRoutes({ accounts, transport, cookie }: AccountRouteDependencies): AnyRoute[] {
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
        202: {
          description:
            "Account created, no session issued: sign-in waits for email verification (`GATEHOUSE_REQUIRE_EMAIL_VERIFICATION`; a verification email is on its way), or, with `GATEHOUSE_REQUIRE_MFA`, for a second factor to be enrolled (`needs_second_factor_enrollment` and a challenge)",
          schema: z.union([needsVerificationJSON, secondFactorChallengeJSON]),
        },
        409: { description: "`email_taken`" },
        422: { description: "`validation_failed`, `password_too_short`, `password_too_long`, `password_too_common`" },
        429: { description: "`rate_limited`" },
      },
      async handle(context) {
        await transport.endPresentedSession(context.request, context.transport, "replaced_by_sign_in");
        const { user, issued, deviceToken, pending } = await accounts.signUp(
          context.body,
          signInClientOf(context, cookie),
        );
        // MFA required: the account exists, and must enrol a factor before it gets a session.
        if (pending) return jsonResponse(202, toChallengeJSON(pending));
        if (issued === null) {
          const pending = jsonResponse(202, { status: "needs_email_verification", user: toUserJSON(user) });
          return withDeviceCookie(pending, cookie, deviceToken);
        }
        return signedInResponse(201, context, { user, issued, deviceToken }, transport, cookie);
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
        200: {
          description:
            'Signed in (cookie transport: `{user, session}` and cookies; bearer transport: the OAuth 2 token response), or a second factor is due: `{status: "needs_second_factor", challenge, factors}` and no credential',
          schema: z.union([cookieSignInJSON, bearerTokenJSON, secondFactorChallengeJSON]),
        },
        401: { description: "`invalid_credentials`: the same answer for an unknown email and a wrong password" },
        403: {
          description:
            "`email_not_verified`: the password is right but sign-in waits for email verification; a new verification email is sent",
        },
        429: { description: "`rate_limited`, with `Retry-After`" },
      },
      async handle(context) {
        await transport.endPresentedSession(context.request, context.transport, "replaced_by_sign_in");
        const signedIn = await accounts.signIn(context.body, signInClientOf(context, cookie));
        return signedInResponse(200, context, signedIn, transport, cookie);
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
        await transport.endPresentedSession(context.request, context.transport, "sign_out");
        const headers = new Headers({ "cache-control": "no-store" });
        if (context.transport === "cookie") {
          for (const value of transport.clearedCookies()) headers.append("set-cookie", value);
        }
        return new Response(null, { status: 204, headers });
      },
    }),
  ];
}
