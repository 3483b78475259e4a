/**
 * HTTP routes of the email flows, as DESIGN.md pins them: password reset, email verification,
 * magic-link and email-code sign-in; plus the account changes that send mail (password,
 * address). Request endpoints answer `202 {status: "accepted"}` whatever happened behind them.
 */
import { z } from "zod";
import { secondFactorResponse, signedInResponse, signInClientOf, withDeviceCookie } from "../accounts/routes.js";
import { isPendingSecondFactor } from "../accounts/service.js";
import { toUserJSON } from "../accounts/schema.js";
import { GatehouseError, InvalidTokenError } from "../errors/index.js";
import type { CookieSettings } from "../http/credentials.js";
import { clientDetailsOf, defineRoute, jsonResponse, noContentResponse, type AnyRoute } from "../http/route.js";
import { bearerTokenJSON, cookieSignInJSON } from "../sessions/schema.js";
import type { SessionTransport } from "../sessions/transport.js";
import { messagePage } from "./pages.js";
import {
  acceptedJSON,
  changeEmailBody,
  changePasswordBody,
  emailCodeVerifyBody,
  emailRequestBody,
  magicLinkRequestBody,
  magicLinkVerifyBody,
  passwordResetConfirmBody,
  verificationConfirmBody,
  verifiedJSON,
} from "./schema.js";
import type { EmailService } from "./service.js";

/** What the email routes need. */
export interface EmailRouteDependencies {
  email: EmailService;
  transport: SessionTransport;
  cookie: CookieSettings;
  /** Where the hosted pages live (a magic link that needs a second factor lands on `/sign-in`). */
  baseURL: URL;
}

const accepted = (description: string) => ({
  202: {
    description: `${description}. The same answer whether or not an account has the address.`,
    schema: acceptedJSON,
  },
});

const signedInResponses = {
  200: {
    description: `Signed in (cookie transport: \`{user, session}\` and cookies; bearer transport: the OAuth 2 token response), or: ${secondFactorResponse.description}`,
    schema: z.union([cookieSignInJSON, bearerTokenJSON, secondFactorResponse.schema]),
  },
};

const throttled = { 429: { description: "`rate_limited`, with `Retry-After`" } };

function acceptedResponse(): Response {
  return jsonResponse(202, { status: "accepted" });
}

/** The email routes. */
export function emailRoutes({ email, transport, cookie, baseURL }: EmailRouteDependencies): AnyRoute[] {
  return [
    defineRoute({
      method: "POST",
      path: "/v1/password-reset",
      summary: "Email a password-reset link",
      tag: "Email",
      auth: "none",
      body: emailRequestBody,
      responses: {
        ...accepted("If the account exists, a link valid for 1 hour is on its way"),
        422: { description: "`validation_failed`: not one valid address" },
        ...throttled,
      },
      async handle(context) {
        await email.requestPasswordReset(context.body.email, clientDetailsOf(context));
        return acceptedResponse();
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/password-reset/confirm",
      summary: "Set a new password with a reset link's token; ends every session of the account",
      tag: "Email",
      auth: "none",
      body: passwordResetConfirmBody,
      responses: {
        204: {
          description:
            "Password changed, every session ended, a notice emailed. Nobody is signed in: sign in with the new password",
        },
        400: { description: "`invalid_token`: unknown, expired, used, or voided by a newer request" },
        422: {
          description:
            "`validation_failed`, `password_too_short`, `password_too_long`, `password_too_common` (the link stays usable)",
        },
      },
      async handle(context) {
        await email.confirmPasswordReset(context.body.token, context.body.password, clientDetailsOf(context));
        return noContentResponse();
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/email-verification",
      summary: "Email the signed-in user a verification link and code",
      tag: "Email",
      auth: "session",
      responses: {
        202: { description: "A link and code valid for 24 hours are on their way", schema: acceptedJSON },
        401: { description: "`unauthenticated`" },
        409: { description: "`email_already_verified`" },
        ...throttled,
      },
      async handle(context) {
        await email.sendVerification(context.caller!.user, clientDetailsOf(context));
        return acceptedResponse();
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/email-verification/confirm",
      summary: "Confirm an address with the emailed link's token, or with the code while signed in",
      tag: "Email",
      auth: "none",
      body: verificationConfirmBody,
      responses: {
        200: { description: "Verified (for an address change: the address is now the new one)", schema: verifiedJSON },
        400: { description: "`invalid_token` or `invalid_code` (a code needs the session of its account; 5 tries)" },
        409: { description: "`email_taken`: another account took the new address meanwhile" },
        422: { description: "`validation_failed`: neither or both of `token` and `code`" },
      },
      async handle(context) {
        const { token, code } = context.body;
        const user =
          token !== undefined
            ? await email.confirmVerification({ token }, clientDetailsOf(context))
            : await email.confirmVerification(
                { code: code!, caller: await transport.authenticate(context.request, context.transport) },
                clientDetailsOf(context),
              );
        return jsonResponse(200, { user: toUserJSON(user) });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/sign-in/magic-link",
      summary: "Email a sign-in link",
      tag: "Email",
      auth: "none",
      body: magicLinkRequestBody,
      responses: {
        ...accepted("If the account exists, a link valid for 15 minutes is on its way"),
        400: { description: "`invalid_redirect_url`: not a path here or a URL on an allowed origin" },
        422: { description: "`validation_failed`" },
        ...throttled,
      },
      async handle(context) {
        await email.requestMagicLink(context.body.email, context.body.redirect_url, clientDetailsOf(context));
        return acceptedResponse();
      },
    }),
    defineRoute({
      method: "GET",
      path: "/v1/sign-in/magic-link/verify",
      summary:
        "Where the emailed sign-in link lands (`?token=…`): signs in with a session cookie and redirects to the requested `redirect_url`",
      tag: "Email",
      auth: "none",
      responses: {
        303: {
          description:
            "Signed in; `Location` is the `redirect_url` given with the request (default: the base URL). When a second factor is due, no cookie is set and `Location` is the hosted `/sign-in` page with `#status=…&challenge=…&factors=…&redirect_url=…` in the fragment",
        },
        400: { description: "`invalid_token` (an HTML page for browsers that accept one)" },
      },
      async handle(context) {
        const token = new URL(context.request.url).searchParams.get("token") ?? "";
        try {
          await transport.endPresentedSession(context.request, context.transport, "replaced_by_sign_in");
          // A link opened in a browser always gets the cookie transport.
          const client = { ...signInClientOf(context, cookie), transport: "cookie" as const };
          const { signedIn, redirectURL } = await email.verifyMagicLink(token, client);
          if (isPendingSecondFactor(signedIn)) {
            // No cookie at all: the hosted sign-in page completes the challenge. It travels in the
            // fragment, which browsers never send to a server nor put in a Referer.
            const page = new URL("sign-in", baseURL.href.replace(/\/?$/, "/"));
            page.hash = new URLSearchParams({
              status: signedIn.status,
              challenge: signedIn.challenge,
              factors: signedIn.factors.join(","),
              redirect_url: redirectURL,
            }).toString();
            return new Response(null, {
              status: 303,
              headers: { location: page.href, "cache-control": "no-store", "referrer-policy": "no-referrer" },
            });
          }
          const headers = new Headers({
            location: redirectURL,
            "cache-control": "no-store",
            "referrer-policy": "no-referrer",
          });
          // The strategy's cookies (a session cookie, or access and refresh cookies), on a redirect.
          const issued = await transport.issuedResponse(200, "cookie", signedIn.user, signedIn.issued);
          for (const value of issued.headers.getSetCookie()) headers.append("set-cookie", value);
          return withDeviceCookie(new Response(null, { status: 303, headers }), cookie, signedIn.deviceToken);
        } catch (error) {
          const wantsHTML = /\btext\/html\b/.test(context.request.headers.get("accept") ?? "");
          if (wantsHTML && error instanceof GatehouseError && error.status < 500) {
            const title = error instanceof InvalidTokenError ? "This sign-in link does not work" : "Could not sign in";
            return messagePage(title, error.message, error.status);
          }
          throw error;
        }
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/sign-in/magic-link/verify",
      summary: "Sign in with a magic link's token, for apps that open the link themselves",
      tag: "Email",
      auth: "none",
      body: magicLinkVerifyBody,
      responses: {
        ...signedInResponses,
        400: { description: "`invalid_token`" },
      },
      async handle(context) {
        await transport.endPresentedSession(context.request, context.transport, "replaced_by_sign_in");
        const { signedIn } = await email.verifyMagicLink(context.body.token, signInClientOf(context, cookie));
        return signedInResponse(200, context, signedIn, transport, cookie);
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/sign-in/email-code",
      summary: "Email a 6-digit sign-in code",
      tag: "Email",
      auth: "none",
      body: emailRequestBody,
      responses: {
        ...accepted("If the account exists, a code valid for 10 minutes is on its way"),
        422: { description: "`validation_failed`" },
        ...throttled,
      },
      async handle(context) {
        await email.requestEmailCode(context.body.email, clientDetailsOf(context));
        return acceptedResponse();
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/sign-in/email-code/verify",
      summary: "Sign in with an emailed code",
      tag: "Email",
      auth: "none",
      body: emailCodeVerifyBody,
      responses: {
        ...signedInResponses,
        400: {
          description: "`invalid_code`: wrong, expired, used, or void after 5 tries; also for an unknown address",
        },
        422: { description: "`validation_failed`: the code is not 6 digits" },
        ...throttled,
      },
      async handle(context) {
        await transport.endPresentedSession(context.request, context.transport, "replaced_by_sign_in");
        const signedIn = await email.verifyEmailCode(
          context.body.email,
          context.body.code,
          signInClientOf(context, cookie),
        );
        return signedInResponse(200, context, signedIn, transport, cookie);
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/account/password",
      summary: "Change the password; ends the caller's other sessions and emails a notice",
      tag: "Email",
      auth: "session",
      body: changePasswordBody,
      responses: {
        204: { description: "Changed; the current session stays, every other one ended" },
        401: { description: "`unauthenticated`" },
        403: {
          description: "`reauthentication_required`: `current_password` missing or wrong, and the session is not fresh",
        },
        422: { description: "`validation_failed`, `password_too_short`, `password_too_long`, `password_too_common`" },
        ...throttled,
      },
      async handle(context) {
        const { current_password: currentPassword, password } = context.body;
        await email.changePassword(context.caller!, { currentPassword, password }, clientDetailsOf(context));
        return noContentResponse();
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/account/email",
      summary: "Change the address: the new one gets a verification email, the change happens when it is confirmed",
      tag: "Email",
      auth: "session",
      body: changeEmailBody,
      responses: {
        202: {
          description:
            "A verification email is on its way to the new address (the same answer if another account has it; then nothing is sent)",
          schema: acceptedJSON,
        },
        401: { description: "`unauthenticated`" },
        403: { description: "`reauthentication_required`" },
        422: { description: "`validation_failed`" },
        ...throttled,
      },
      async handle(context) {
        const { email: address, current_password: currentPassword } = context.body;
        await email.changeEmail(context.caller!, { email: address, currentPassword }, clientDetailsOf(context));
        return acceptedResponse();
      },
    }),
  ];
}
