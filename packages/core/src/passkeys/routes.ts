/**
 * HTTP routes of passkeys: registering one on the signed-in account (after re-authentication),
 * listing, renaming and deleting the caller's own, and signing in with one and no password.
 */
import { z } from "zod";
import { signedInResponse, signInClientOf } from "../accounts/routes.js";
import type { AccountService } from "../accounts/service.js";
import type { CookieSettings } from "../http/credentials.js";
import { defineRoute, jsonResponse, noContentResponse, type AnyRoute } from "../http/route.js";
import { bearerTokenJSON, cookieSignInJSON } from "../sessions/schema.js";
import type { SessionTransport } from "../sessions/transport.js";
import {
  passkeyJSON,
  registrationBody,
  registrationOptionsBody,
  registrationOptionsJSON,
  renameBody,
  signInBody,
  signInOptionsBody,
  signInOptionsJSON,
  toPasskeyJSON,
} from "./schema.js";
import type { PasskeyService } from "./service.js";

/** What the passkey routes need. */
export interface PasskeyRouteDependencies {
  passkeys: PasskeyService;
  accounts: AccountService;
  transport: SessionTransport;
  cookie: CookieSettings;
}

const unauthenticated = { 401: { description: "`unauthenticated`" } };
const notAvailable = {
  409: { description: "`not_available`: passkeys are off (no RP ID: set `GATEHOUSE_WEBAUTHN_RP_ID`)" },
};
const notFound = { 404: { description: "`not_found`: the caller has no passkey with this id" } };

/** The passkey routes. */
export function passkeyRoutes({ passkeys, accounts, transport, cookie }: PasskeyRouteDependencies): AnyRoute[] {
  return [
    defineRoute({
      method: "POST",
      path: "/v1/passkeys/registration/options",
      summary: "Start registering a passkey: WebAuthn creation options (needs a fresh session or the password)",
      tag: "Passkeys",
      auth: "session",
      body: registrationOptionsBody,
      responses: {
        200: {
          description: "Pass `options` as `optionsJSON` to `startRegistration` (@simplewebauthn/browser)",
          schema: registrationOptionsJSON,
        },
        ...unauthenticated,
        403: {
          description: "`reauthentication_required`: `current_password` missing or wrong, and the session is not fresh",
        },
        ...notAvailable,
        422: { description: "`validation_failed`" },
      },
      async handle(context) {
        const caller = context.caller!;
        const client = signInClientOf(context, cookie);
        await accounts.requireReauthentication(caller, context.body.current_password, client);
        return jsonResponse(200, { options: await passkeys.registrationOptions(caller, client) });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/passkeys/registration",
      summary: "Finish registering a passkey with the browser's response; a notice is emailed",
      tag: "Passkeys",
      auth: "session",
      body: registrationBody,
      responses: {
        201: { description: "Registered", schema: z.object({ passkey: passkeyJSON }) },
        400: {
          description:
            "`invalid_passkey`: the response did not verify, or its challenge is used, expired, or was issued to another session or client",
        },
        ...unauthenticated,
        409: {
          description:
            "`passkey_already_registered`: the credential is already registered (to this or another account); `not_available`",
        },
        422: { description: "`validation_failed`: not a registration response, or a bad `name`" },
      },
      async handle(context) {
        const passkey = await passkeys.register(context.caller!, context.body, signInClientOf(context, cookie));
        return jsonResponse(201, { passkey: toPasskeyJSON(passkey) });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/v1/passkeys",
      summary: "The signed-in user's passkeys",
      tag: "Passkeys",
      auth: "session",
      responses: {
        200: { description: "Oldest first", schema: z.object({ passkeys: z.array(passkeyJSON) }) },
        ...unauthenticated,
      },
      async handle(context) {
        const list = await passkeys.list(context.caller!.user);
        return jsonResponse(200, { passkeys: list.map(toPasskeyJSON) });
      },
    }),
    defineRoute({
      method: "PATCH",
      path: "/v1/passkeys/{id}",
      summary: "Rename one of the caller's passkeys",
      tag: "Passkeys",
      auth: "session",
      body: renameBody,
      responses: {
        200: { description: "Renamed", schema: z.object({ passkey: passkeyJSON }) },
        ...unauthenticated,
        ...notFound,
        422: { description: "`validation_failed`: the name is empty, longer than 64 characters or not one line" },
      },
      async handle(context) {
        const passkey = await passkeys.rename(
          context.caller!.user,
          context.params.id!,
          context.body.name,
          signInClientOf(context, cookie),
        );
        return jsonResponse(200, { passkey: toPasskeyJSON(passkey) });
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/v1/passkeys/{id}",
      summary: "Delete one of the caller's passkeys",
      tag: "Passkeys",
      auth: "session",
      responses: { 204: { description: "Deleted" }, ...unauthenticated, ...notFound },
      async handle(context) {
        await passkeys.remove(context.caller!.user, context.params.id!, signInClientOf(context, cookie));
        return noContentResponse();
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/sign-in/passkey/options",
      summary: "Start a passkey sign-in: WebAuthn request options (discoverable: no email needed)",
      tag: "Passkeys",
      auth: "none",
      body: signInOptionsBody,
      responses: {
        200: {
          description: "Pass `options` as `optionsJSON` to `startAuthentication` (@simplewebauthn/browser)",
          schema: signInOptionsJSON,
        },
        ...notAvailable,
        429: { description: "`rate_limited`, with `Retry-After`" },
      },
      async handle(context) {
        return jsonResponse(200, { options: await passkeys.signInOptions(signInClientOf(context, cookie)) });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/sign-in/passkey",
      summary: "Sign in with a passkey: a fresh session, second-factor verified (never a second-factor challenge)",
      tag: "Passkeys",
      auth: "none",
      body: signInBody,
      responses: {
        200: {
          description:
            "Signed in with a fresh session whose `second_factor_verified_at` is now (cookie transport: `{user, session}` and cookies; bearer transport: the OAuth 2 token response)",
          schema: z.union([cookieSignInJSON, bearerTokenJSON]),
        },
        400: { description: "`invalid_passkey`: the same answer for every verification failure" },
        403: { description: "`user_banned`, `email_not_verified`" },
        ...notAvailable,
        422: { description: "`validation_failed`: not an authentication response" },
      },
      async handle(context) {
        const signedIn = await passkeys.signIn(context.body.response, signInClientOf(context, cookie));
        // Only after the passkey verified: a failed attempt changes nothing.
        await transport.endPresentedSession(context.request, context.transport, "replaced_by_sign_in");
        return signedInResponse(200, context, signedIn, transport, cookie);
      },
    }),
  ];
}
