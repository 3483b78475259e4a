/**
 * Wire shapes of the accounts feature: request bodies (validated) and the public user object.
 * Unknown members are dropped, so privileged fields in a body can never reach the store.
 */
import { z } from "zod";
import type { UserRecord } from "../storage/ports.js";
import { isoTime } from "../lib/iso-time.js";

/** Longest address SMTP can carry (RFC 5321 path limit minus the brackets). */
const EMAIL_MAX_LENGTH = 254;

/**
 * One plain address: no display name, no list, no whitespace or control characters (so no
 * header injection), at most 254 characters.
 */
export const emailSchema = z
  .string({ error: "email must be a string." })
  .max(EMAIL_MAX_LENGTH, { error: `email can be at most ${EMAIL_MAX_LENGTH} characters long.` })
  .pipe(z.email({ error: "email must be a single valid email address." }));

const passwordField = z.string({ error: "password must be a string." });

/** `POST /v1/sign-up` body. The password policy is applied by the service, with its own codes. */
export const signUpBody = z.object({
  email: emailSchema,
  password: passwordField,
  name: z
    .string({ error: "name must be a string." })
    .trim()
    .min(1, { error: "name cannot be empty." })
    .max(200, { error: "name can be at most 200 characters long." })
    .regex(/^[^\p{Cc}]*$/u, { error: "name cannot contain control characters." })
    .optional(),
});

/**
 * `POST /v1/sign-in/password` body. The email is not format-checked: a malformed address is
 * just an account that does not exist, and must be answered exactly like one.
 */
export const signInBody = z.object({
  email: z.string({ error: "email must be a string." }).max(1024, { error: "email is too long." }),
  password: passwordField,
});

/** The public user object. */
export const userJSON = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  email_verified: z.boolean(),
  created_at: z.string().describe("ISO 8601"),
  updated_at: z.string().describe("ISO 8601"),
});

/** `POST /v1/sign-up` when sign-in waits for email verification: the account, and no session. */
export const needsVerificationJSON = z.object({
  status: z.literal("needs_email_verification"),
  user: userJSON,
});

/** Serialises a stored user for clients; never includes the password hash. */
export function toUserJSON(user: UserRecord): z.infer<typeof userJSON> {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    email_verified: user.emailVerifiedAt !== null,
    created_at: isoTime(user.createdAt),
    updated_at: isoTime(user.updatedAt),
  };
}

/** The form an email is compared and made unique in. */
export function normalizeEmail(email: string): string {
  return email.toLowerCase();
}
