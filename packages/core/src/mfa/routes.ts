/**
 * HTTP routes of second factors: completing a sign-in's challenge (and, with MFA required,
 * enrolling during sign-in), and the signed-in user's own factors: status, TOTP and SMS
 * enrolment, disabling, backup codes and step-up.
 */
import { z } from "zod";
import { signedInResponse, signInClientOf } from "../accounts/routes.js";
import type { AccountService } from "../accounts/service.js";
import type { CookieSettings } from "../http/credentials.js";
import {
  clientDetailsOf,
  defineRoute,
  jsonResponse,
  noContentResponse,
  type AnyRoute,
  type RouteContext,
} from "../http/route.js";
import { bearerTokenJSON, cookieSignInJSON, sessionJSON, toSessionJSON } from "../sessions/schema.js";
import type { SessionTransport } from "../sessions/transport.js";
import {
  backupCodesJSON,
  codeBody,
  enrollmentChallengeBody,
  enrollmentConfirmBody,
  enrollmentPhoneNumberBody,
  mfaStatusJSON,
  phoneNumberBody,
  reauthenticationBody,
  secondFactorBody,
  smsSentJSON,
  stepUpBody,
  totpEnrollmentJSON,
} from "./schema.js";
import type { MFAService, TOTPEnrollment } from "./service.js";
import type { SentSMSCode } from "./sms.js";
import { isoTimeOrNull } from "../lib/iso-time.js";

/** What the MFA routes need. */
export interface MFARouteDependencies {
  mfa: MFAService;
  accounts: AccountService;
  transport: SessionTransport;
  cookie: CookieSettings;
  clock: () => number;
}

const signedIn = {
  200: {
    description:
      "Signed in with a fresh session. Cookie transport: `{user, session}` and cookies. Bearer transport: the OAuth 2 token response.",
    schema: z.union([cookieSignInJSON, bearerTokenJSON]),
  },
};
const challengeErrors = {
  400: {
    description:
      "`invalid_challenge`: unknown, expired (5 minutes), completed, used up (5 wrong codes) or from another client: sign in again. `invalid_code`: wrong code (the challenge stays usable until its cap)",
  },
  403: { description: "`user_banned`" },
  429: { description: "`rate_limited`: too many wrong codes for this account (10 per 15 minutes), with `Retry-After`" },
};
const notAvailable = {
  409: { description: "`not_available`: the engine has no encryption key (`GATEHOUSE_ENCRYPTION_KEY`)" },
};
/** The answers of confirming a new factor (authenticator app or phone number) while signed in. */
const factorConfirmed = {
  200: {
    description:
      "Enabled. The first factor answers 10 new backup codes (shown only now); a further factor answers `[]` and the existing codes stay valid",
    schema: backupCodesJSON,
  },
  400: { description: "`invalid_code`" },
  401: { description: "`unauthenticated`" },
  409: { description: "`mfa_already_enabled`, `mfa_not_enabled` (nothing to confirm), `not_available`" },
  429: { description: "`rate_limited`" },
};
/** What every route that sends a text message can answer besides its own errors. */
const smsSendErrors = {
  422: {
    description:
      "`validation_failed`, or `invalid_phone_number`: not a valid mobile number in international format (+ and the country code)",
  },
  429: {
    description: "`rate_limited`: too many texts to this number (3 per 15 minutes, 10 a day) or from this network",
  },
  502: { description: "`sms_delivery_failed`: the SMS provider refused the message" },
  503: { description: "`sms_delivery_failed`: the SMS provider could not be reached" },
};
const signedInWithBackupCodes = {
  200: {
    description: "Signed in with a fresh session, as any sign-in answers, plus `backup_codes` (shown only now)",
    schema: z.union([cookieSignInJSON.extend(backupCodesJSON.shape), bearerTokenJSON.extend(backupCodesJSON.shape)]),
  },
};
function enrollmentJSON(enrollment: TOTPEnrollment): z.infer<typeof totpEnrollmentJSON> {
  return { secret: enrollment.secret, otpauth_url: enrollment.otpauthURL, qr_svg: enrollment.qrSVG };
}

function smsSentResponse(sent: SentSMSCode, now: number): Response {
  return jsonResponse(200, {
    phone_number_hint: sent.phoneNumberHint,
    expires_in: Math.round((sent.expiresAt - now) / 1000),
  } satisfies z.infer<typeof smsSentJSON>);
}

/** The MFA routes. */
export function mfaRoutes({ mfa, accounts, transport, cookie, clock }: MFARouteDependencies): AnyRoute[] {
  /** Completes a required-MFA enrolment challenge with the new factor's code: signed in, with backup codes. */
  async function signInAfterEnrollment(
    context: RouteContext<z.infer<typeof enrollmentConfirmBody>>,
    factor: "totp" | "sms",
  ): Promise<Response> {
    const client = signInClientOf(context, cookie);
    const { backupCodes, ...result } = await accounts.completeEnrollment({ ...context.body, factor }, client);
    await transport.endPresentedSession(context.request, context.transport, "replaced_by_sign_in");
    return signedInResponse(200, context, result, transport, cookie, { backup_codes: backupCodes });
  }

  return [
    defineRoute({
      method: "POST",
      path: "/v1/sign-in/second-factor",
      summary: "Complete a sign-in's second-factor challenge with a TOTP, SMS or backup code",
      tag: "MFA",
      auth: "none",
      body: secondFactorBody,
      responses: { ...signedIn, ...challengeErrors, 422: { description: "`validation_failed`" } },
      async handle(context) {
        const client = signInClientOf(context, cookie);
        const result = await accounts.completeSecondFactor(context.body, client);
        await transport.endPresentedSession(context.request, context.transport, "replaced_by_sign_in");
        return signedInResponse(200, context, result, transport, cookie);
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/sign-in/second-factor/enroll/totp",
      summary: "With MFA required: start enrolling an authenticator app during sign-in (enrolment challenge)",
      tag: "MFA",
      auth: "none",
      body: enrollmentChallengeBody,
      responses: {
        200: { description: "A new secret, shown once; confirm it with a code", schema: totpEnrollmentJSON },
        400: { description: "`invalid_challenge`" },
        ...notAvailable,
      },
      async handle(context) {
        const enrollment = await mfa.startEnrollmentForChallenge(
          context.body.challenge,
          signInClientOf(context, cookie),
        );
        return jsonResponse(200, enrollmentJSON(enrollment));
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/sign-in/second-factor/enroll/totp/confirm",
      summary: "With MFA required: confirm the authenticator with a code and sign in",
      tag: "MFA",
      auth: "none",
      body: enrollmentConfirmBody,
      responses: {
        ...signedInWithBackupCodes,
        ...challengeErrors,
        409: { description: "`mfa_not_enabled`: no enrolment was started with this challenge" },
      },
      handle: (context) => signInAfterEnrollment(context, "totp"),
    }),
    defineRoute({
      method: "POST",
      path: "/v1/sign-in/second-factor/sms",
      summary: "Text a code for a sign-in's second-factor challenge to the user's phone (replaces an earlier code)",
      tag: "MFA",
      auth: "none",
      body: enrollmentChallengeBody,
      responses: {
        200: {
          description: 'Sent; complete with `POST /v1/sign-in/second-factor` and `factor: "sms"`',
          schema: smsSentJSON,
        },
        400: { description: "`invalid_challenge`" },
        409: { description: "`mfa_not_enabled` (no phone number), `not_available` (no SMS provider)" },
        ...smsSendErrors,
      },
      async handle(context) {
        return smsSentResponse(
          await mfa.sendSignInSMS(context.body.challenge, signInClientOf(context, cookie)),
          clock(),
        );
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/sign-in/second-factor/enroll/sms",
      summary: "With MFA required: text a code to a phone number to enrol it during sign-in (enrolment challenge)",
      tag: "MFA",
      auth: "none",
      body: enrollmentPhoneNumberBody,
      responses: {
        200: {
          description: "Sent; confirm with `POST /v1/sign-in/second-factor/enroll/sms/confirm`",
          schema: smsSentJSON,
        },
        400: { description: "`invalid_challenge`" },
        409: { description: "`not_available` (no SMS provider), `mfa_already_enabled`" },
        ...smsSendErrors,
      },
      async handle(context) {
        const sent = await mfa.startSMSEnrollmentForChallenge(
          context.body.challenge,
          context.body.phone_number,
          signInClientOf(context, cookie),
        );
        return smsSentResponse(sent, clock());
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/sign-in/second-factor/enroll/sms/confirm",
      summary: "With MFA required: confirm the phone number with its code and sign in",
      tag: "MFA",
      auth: "none",
      body: enrollmentConfirmBody,
      responses: {
        ...signedInWithBackupCodes,
        ...challengeErrors,
        409: { description: "`mfa_not_enabled`: no number was enrolled with this challenge; `not_available`" },
      },
      handle: (context) => signInAfterEnrollment(context, "sms"),
    }),
    defineRoute({
      method: "GET",
      path: "/v1/mfa",
      summary: "The signed-in user's second factors",
      tag: "MFA",
      auth: "session",
      responses: {
        200: { description: "Which factors are set up", schema: mfaStatusJSON },
        401: { description: "`unauthenticated`" },
      },
      async handle(context) {
        const status = await mfa.status(context.caller!.user);
        return jsonResponse(200, {
          enabled: status.enabled,
          required: status.required,
          totp: { enabled: status.totp.enabled, confirmed_at: isoTimeOrNull(status.totp.confirmedAt) },
          sms: {
            available: status.sms.available,
            enabled: status.sms.enabled,
            phone_number_hint: status.sms.phoneNumberHint,
            confirmed_at: isoTimeOrNull(status.sms.confirmedAt),
          },
          backup_codes: { remaining: status.backupCodes.remaining },
        });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/mfa/totp",
      summary: "Start enrolling an authenticator app (replaces an unconfirmed one)",
      tag: "MFA",
      auth: "session",
      responses: {
        200: { description: "A new secret, shown once; confirm it with a code", schema: totpEnrollmentJSON },
        401: { description: "`unauthenticated`" },
        409: { description: "`mfa_already_enabled`, or `not_available` (no encryption key)" },
      },
      async handle(context) {
        return jsonResponse(200, enrollmentJSON(await mfa.startTOTPEnrollment(context.caller!.user)));
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/mfa/totp/confirm",
      summary: "Confirm the authenticator with a code: sign-in asks for it from now on",
      tag: "MFA",
      auth: "session",
      body: codeBody,
      responses: factorConfirmed,
      async handle(context) {
        const codes = await mfa.confirmTOTPEnrollment(context.caller!, context.body.code, clientDetailsOf(context));
        return jsonResponse(200, { backup_codes: codes });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/mfa/totp/disable",
      summary:
        "Turn the authenticator off (the backup codes go too when it was the last factor); needs fresh re-authentication",
      tag: "MFA",
      auth: "session",
      body: reauthenticationBody,
      responses: {
        204: { description: "Disabled; a notice is emailed" },
        401: { description: "`unauthenticated`" },
        403: {
          description: "`reauthentication_required`: `current_password` missing or wrong, and the session is not fresh",
        },
        409: { description: "`mfa_not_enabled`, `not_available`" },
      },
      async handle(context) {
        const caller = context.caller!;
        await accounts.requireReauthentication(caller, context.body.current_password, clientDetailsOf(context));
        await mfa.disableTOTP(caller.user, clientDetailsOf(context));
        return noContentResponse();
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/mfa/sms",
      summary:
        "Start enrolling a phone number for text-message codes: texts it a code (replaces an unconfirmed number)",
      tag: "MFA",
      auth: "session",
      body: phoneNumberBody,
      responses: {
        200: { description: "Sent; confirm with `POST /v1/mfa/sms/confirm`", schema: smsSentJSON },
        401: { description: "`unauthenticated`" },
        409: { description: "`mfa_already_enabled`, or `not_available` (no SMS provider or no encryption key)" },
        ...smsSendErrors,
      },
      async handle(context) {
        const sent = await mfa.startSMSEnrollment(context.caller!, context.body.phone_number, clientDetailsOf(context));
        return smsSentResponse(sent, clock());
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/mfa/sms/confirm",
      summary: "Confirm the phone number with the texted code: sign-in can ask for a code from now on",
      tag: "MFA",
      auth: "session",
      body: codeBody,
      responses: factorConfirmed,
      async handle(context) {
        const codes = await mfa.confirmSMSEnrollment(context.caller!, context.body.code, clientDetailsOf(context));
        return jsonResponse(200, { backup_codes: codes });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/mfa/sms/disable",
      summary:
        "Turn text-message codes off (the backup codes go too when it was the last factor); needs fresh re-authentication",
      tag: "MFA",
      auth: "session",
      body: reauthenticationBody,
      responses: {
        204: { description: "Disabled; a notice is emailed" },
        401: { description: "`unauthenticated`" },
        403: {
          description: "`reauthentication_required`: `current_password` missing or wrong, and the session is not fresh",
        },
        409: { description: "`mfa_not_enabled`, `not_available`" },
      },
      async handle(context) {
        const caller = context.caller!;
        await accounts.requireReauthentication(caller, context.body.current_password, clientDetailsOf(context));
        await mfa.disableSMS(caller.user, clientDetailsOf(context));
        return noContentResponse();
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/mfa/sms/send",
      summary: 'Text a code for a step-up of the current session; then `POST /v1/mfa/verify` with `factor: "sms"`',
      tag: "MFA",
      auth: "session",
      responses: {
        200: { description: "Sent", schema: smsSentJSON },
        401: { description: "`unauthenticated`" },
        409: { description: "`mfa_not_enabled` (no confirmed number), `not_available`" },
        ...smsSendErrors,
      },
      async handle(context) {
        return smsSentResponse(await mfa.sendStepUpSMS(context.caller!, clientDetailsOf(context)), clock());
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/mfa/backup-codes",
      summary: "Make a new set of backup codes (the old set stops working); needs fresh re-authentication",
      tag: "MFA",
      auth: "session",
      body: reauthenticationBody,
      responses: {
        200: { description: "The new codes, shown only now", schema: backupCodesJSON },
        401: { description: "`unauthenticated`" },
        403: { description: "`reauthentication_required`" },
        409: { description: "`mfa_not_enabled`, `not_available`" },
      },
      async handle(context) {
        const caller = context.caller!;
        await accounts.requireReauthentication(caller, context.body.current_password, clientDetailsOf(context));
        return jsonResponse(200, {
          backup_codes: await mfa.regenerateBackupCodes(caller.user, clientDetailsOf(context)),
        });
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/mfa/verify",
      summary: "Step-up: verify a second factor again on the current session (renews `fva`)",
      tag: "MFA",
      auth: "session",
      body: stepUpBody,
      responses: {
        200: {
          description:
            "Verified; `session.second_factor_verified_at` is now. `jwt`/`hybrid`: access tokens issued from now on (refresh with `POST /v1/token`) carry the new `fva`",
          schema: z.object({ session: sessionJSON }),
        },
        400: { description: "`invalid_code`" },
        401: { description: "`unauthenticated`" },
        409: { description: "`mfa_not_enabled`, `not_available`" },
        429: { description: "`rate_limited`" },
      },
      async handle(context) {
        const caller = context.caller!;
        await mfa.stepUp(caller, context.body, clientDetailsOf(context));
        return jsonResponse(200, { session: toSessionJSON(caller.session, caller.session.id) });
      },
    }),
  ];
}
