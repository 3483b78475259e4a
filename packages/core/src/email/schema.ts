/**
 * Wire shapes of the email flows: request bodies (validated) and answers. Request endpoints
 * check an address's format (a malformed one cannot receive mail, and saying so reveals nothing
 * about accounts); the sign-in code endpoint does not, like password sign-in, so a malformed
 * address is simply an address without an account.
 */
import { z } from "zod";
import { emailSchema, userJSON } from "../accounts/schema.js";
import { REDIRECT_URL_MAX_LENGTH } from "./redirect.js";

const tokenField = z
  .string({ error: "token must be a string." })
  .min(1, { error: "token cannot be empty." })
  .max(256, { error: "token is too long." });

const codeField = z
  .string({ error: "code must be a string." })
  .regex(/^\d{6}$/, { error: "code must be the 6 digits from the email." });

const passwordField = z.string({ error: "password must be a string." });

/** `POST /v1/password-reset`, `POST /v1/sign-in/email-code`. */
export const emailRequestBody = z.object({ email: emailSchema });

/** `POST /v1/password-reset/confirm`. */
export const passwordResetConfirmBody = z.object({ token: tokenField, password: passwordField });

/** `POST /v1/sign-in/magic-link`. */
export const magicLinkRequestBody = z.object({
  email: emailSchema,
  redirect_url: z
    .string({ error: "redirect_url must be a string." })
    .max(REDIRECT_URL_MAX_LENGTH, { error: `redirect_url can be at most ${REDIRECT_URL_MAX_LENGTH} characters long.` })
    .optional()
    .describe("Where to send the browser after signing in: a path, or a URL on an allowed origin"),
});

/** `POST /v1/sign-in/magic-link/verify`. */
export const magicLinkVerifyBody = z.object({ token: tokenField });

/** `POST /v1/sign-in/email-code/verify`. */
export const emailCodeVerifyBody = z.object({
  email: z.string({ error: "email must be a string." }).max(1024, { error: "email is too long." }),
  code: codeField,
});

/** `POST /v1/email-verification/confirm`: exactly one of `token` (from the link) and `code` (signed in). */
export const verificationConfirmBody = z
  .object({ token: tokenField.optional(), code: codeField.optional() })
  .refine((body) => (body.token === undefined) !== (body.code === undefined), {
    error: "Send either token (from the link) or code (while signed in), not both.",
  });

/** `POST /v1/account/password`. */
export const changePasswordBody = z.object({
  current_password: z
    .string({ error: "current_password must be a string." })
    .optional()
    .describe("Required unless the session signed in within the last 10 minutes"),
  password: passwordField.describe("The new password"),
});

/** `POST /v1/account/email`. */
export const changeEmailBody = z.object({
  email: emailSchema.describe("The new address; it receives a verification email"),
  current_password: z
    .string({ error: "current_password must be a string." })
    .optional()
    .describe("Required unless the session signed in within the last 10 minutes"),
});

/** The answer of every request endpoint, whatever happened behind it. */
export const acceptedJSON = z.object({ status: z.literal("accepted") });

/** `POST /v1/email-verification/confirm`. */
export const verifiedJSON = z.object({ user: userJSON });
