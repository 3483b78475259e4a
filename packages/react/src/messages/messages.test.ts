// The message catalogue: overrides, placeholders, and a message for every documented error code.
import { describe, expect, it } from "vitest";
import { GatehouseAPIError } from "../browser/api.js";
import { errorMessage } from "../lib/form.js";
import { defaultMessages, formatMessage, mergeMessages } from "./index.js";

describe("message catalogue", () => {
  it("lays overrides over English, section by section", () => {
    const messages = mergeMessages({ signIn: { title: "Connexion" }, errors: { invalid_credentials: "Non." } });
    expect(messages.signIn.title).toBe("Connexion");
    expect(messages.signIn.submit).toBe(defaultMessages.signIn.submit);
    expect(messages.errors.invalid_credentials).toBe("Non.");
    expect(messages.common.email).toBe("Email");
  });

  it("fills placeholders and leaves unknown ones as written", () => {
    expect(formatMessage("Sign in to {appName}", { appName: "Acme" })).toBe("Sign in to Acme");
    expect(formatMessage("{a} and {b}", { a: 1 })).toBe("1 and {b}");
  });

  it("has a message for every error code the API documents", () => {
    const codes = [
      "invalid_credentials",
      "unauthenticated",
      "origin_forbidden",
      "email_not_verified",
      "reauthentication_required",
      "email_taken",
      "email_already_verified",
      "validation_failed",
      "password_too_short",
      "password_too_long",
      "password_too_common",
      "invalid_token",
      "invalid_code",
      "invalid_redirect_url",
      "not_found",
      "network_error",
      "invalid_challenge",
      "mfa_already_enabled",
      "mfa_not_enabled",
      "invalid_phone_number",
      "not_available",
      "user_banned",
      "invalid_passkey",
      "passkey_already_registered",
      "passkey_cancelled",
      "passkey_not_supported",
      "passkey_failed",
    ];
    const messages = mergeMessages();
    for (const code of codes) {
      const message = errorMessage(new GatehouseAPIError({ status: 400, code }), messages);
      expect(message, code).not.toBe(messages.errors.unknown);
    }
    expect(errorMessage(new GatehouseAPIError({ status: 400, code: "something_new" }), messages)).toBe(
      messages.errors.unknown,
    );
    expect(errorMessage(new Error("boom"), messages)).toBe(messages.errors.unknown);
  });

  it("says how long to wait when rate limited", () => {
    const messages = mergeMessages();
    const limited = new GatehouseAPIError({ status: 429, code: "rate_limited", retryAfterSeconds: 42 });
    expect(errorMessage(limited, messages)).toBe("Too many attempts. Try again in 42 seconds.");
    expect(errorMessage(new GatehouseAPIError({ status: 429, code: "rate_limited" }), messages)).toBe(
      messages.errors.rate_limited_soon,
    );
  });
});
