/**
 * Wire shapes of second factors: the challenge a first step answers with, the bodies of the
 * challenge, enrolment, step-up and management endpoints, and what they return.
 */
import { z } from "zod";
import { MFA_CHALLENGE_TTL_MS, type PendingSecondFactor } from "./service.js";

const factorKind = z.enum(["totp", "backup_code", "sms"], {
  error: 'factor must be "totp", "backup_code" or "sms".',
});
const challengeField = z
  .string({ error: "challenge must be a string." })
  .min(1, { error: "challenge cannot be empty." })
  .max(200, { error: "challenge is too long." });
const codeField = z
  .string({ error: "code must be a string." })
  .min(1, { error: "code cannot be empty." })
  .max(64, { error: "code is too long." });

/** The answer of a first step that needs a second one. Nothing in it signs anyone in. */
export const secondFactorChallengeJSON = z.object({
  status: z
    .enum(["needs_second_factor", "needs_second_factor_enrollment"])
    .describe(
      "`needs_second_factor`: complete with `POST /v1/sign-in/second-factor` (for `sms`, first have a code sent with `POST /v1/sign-in/second-factor/sms`). `needs_second_factor_enrollment`: MFA is required and the account has no factor; enrol with `POST /v1/sign-in/second-factor/enroll/totp` or `…/enroll/sms`",
    ),
  challenge: z.string().describe("Opaque, single-use, valid for 5 minutes, only from the client that received it"),
  factors: z
    .array(factorKind)
    .describe("Factors that can complete the challenge (for enrolment: that can be enrolled)"),
  expires_in: z.number().int().describe("Seconds until the challenge expires"),
});

/** Serialises a pending second factor for the client, as it is answered: just issued. */
export function toChallengeJSON(pending: PendingSecondFactor): z.infer<typeof secondFactorChallengeJSON> {
  return {
    status: pending.status,
    challenge: pending.challenge,
    factors: pending.factors,
    expires_in: MFA_CHALLENGE_TTL_MS / 1000,
  };
}

/** `POST /v1/sign-in/second-factor`. */
export const secondFactorBody = z.object({ challenge: challengeField, factor: factorKind, code: codeField });

/** `POST /v1/sign-in/second-factor/enroll/totp`. */
export const enrollmentChallengeBody = z.object({ challenge: challengeField });

/** `POST /v1/sign-in/second-factor/enroll/totp/confirm`. */
export const enrollmentConfirmBody = z.object({ challenge: challengeField, code: codeField });

/** `POST /v1/mfa/totp/confirm`, `POST /v1/mfa/sms/confirm`. */
export const codeBody = z.object({ code: codeField });

const phoneNumberField = z
  .string({ error: "phone_number must be a string." })
  .min(1, { error: "phone_number cannot be empty." })
  .max(40, { error: "phone_number is too long." })
  .describe(
    "International format: + and the country code, e.g. `+44 7911 123456` (spaces, dashes, dots and parentheses are ignored)",
  );

/** `POST /v1/mfa/sms`. */
export const phoneNumberBody = z.object({ phone_number: phoneNumberField });

/** `POST /v1/sign-in/second-factor/enroll/sms`. */
export const enrollmentPhoneNumberBody = z.object({ challenge: challengeField, phone_number: phoneNumberField });

/** A text message with a code was sent. */
export const smsSentJSON = z.object({
  phone_number_hint: z
    .string()
    .describe("The number the code went to: country code and last 3 digits, e.g. `+44 ••••••• 456`"),
  expires_in: z.number().int().describe("Seconds the code is valid (300)"),
});

/** `POST /v1/mfa/verify` (step-up). */
export const stepUpBody = z.object({ factor: factorKind, code: codeField });

/** Bodies of changes that need re-authentication (disable, regenerate backup codes). */
export const reauthenticationBody = z.object({
  current_password: z
    .string({ error: "current_password must be a string." })
    .max(4096, { error: "current_password is too long." })
    .optional(),
});

/** A new authenticator, shown once. */
export const totpEnrollmentJSON = z.object({
  secret: z.string().describe("Base32 secret, for typing into an authenticator app by hand"),
  otpauth_url: z.string().describe("`otpauth://totp/…` URL (SHA-1, 6 digits, 30 s)"),
  qr_svg: z.string().describe("The otpauth URL as a QR code: an SVG document"),
});

/** New backup codes, shown once. */
export const backupCodesJSON = z.object({
  backup_codes: z
    .array(z.string())
    .describe(
      "Single-use codes (`xxxxx-xxxxx`), shown only now: 10 for a new set; none when a factor was added to one that was already on (the existing codes stay valid)",
    ),
});

/** `GET /v1/mfa`. */
export const mfaStatusJSON = z.object({
  enabled: z.boolean().describe("Whether sign-in asks this user for a second factor"),
  required: z.boolean().describe("Whether every user must have one (`GATEHOUSE_REQUIRE_MFA`)"),
  totp: z.object({ enabled: z.boolean(), confirmed_at: z.string().nullable().describe("ISO 8601") }),
  sms: z.object({
    available: z
      .boolean()
      .describe("Whether the server can send text messages (an SMS provider is configured), so a number can be set up"),
    enabled: z.boolean(),
    phone_number_hint: z.string().nullable().describe("Country code and last 3 digits of the confirmed number"),
    confirmed_at: z.string().nullable().describe("ISO 8601"),
  }),
  backup_codes: z.object({ remaining: z.number().int() }),
});
