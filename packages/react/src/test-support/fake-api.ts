/**
 * An in-memory stand-in for the Gatehouse API as one browser sees it, for the browser client's
 * unit tests: one cookie jar shared by every "tab", refresh tokens that rotate and are
 * single-use (a reuse ends the session, as the real server does after its grace window), and a
 * log of every request. The real server is exercised by the browser tests; this one makes the
 * cross-tab timing rules cheap to prove.
 *
 * It also speaks the second-factor and passkey contract (TOTP, backup codes, SMS, enrolment
 * during a required-MFA sign-in, passkeys) with fixed right answers ({@link FAKE_CODES}), so the
 * components' flows can be driven in a real browser without the real server. It runs in Node
 * and in the browser alike: nothing here needs more than `fetch`'s `Response`.
 */
import type { EnrollableFactor, Passkey, SecondFactor } from "../browser/api.js";

/** The answers the fake API accepts; anything else is wrong. */
export const FAKE_CODES = {
  password: "right",
  totp: "123456",
  sms: "654321",
  backupCode: "abcde-fghij",
  /** The TOTP secret every enrolment hands out. */
  secret: "JBSWY3DPEHPK3PXP",
} as const;

/**
 * The QR code the fake hands out: an SVG document with a script and an event handler in it, so a
 * test can prove the components show it as an image (where neither runs) and never as markup.
 */
export const FAKE_QR_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4" onload="window.__qrScriptRan=true"><script>window.__qrScriptRan=true</script><rect width="2" height="2"/><rect x="2" y="2" width="2" height="2"/></svg>';

/** One request the fake API received. */
export interface LoggedRequest {
  method: string;
  path: string;
  /** When it arrived (epoch ms). */
  at: number;
  /** The refresh token the jar presented, for `POST /v1/token`. */
  refreshToken?: string | null;
  /** The parsed JSON body, when there was one. */
  body?: unknown;
}

/** Options of {@link createFakeAPI}. */
export interface FakeAPIOptions {
  /** Access token lifetime, in whole seconds as the API reports it. @default 1 */
  accessTokenSeconds?: number;
  /** Whether the session strategy is in use (no refresh tokens). @default false */
  sessionStrategy?: boolean;
  /**
   * Answers `POST /v1/sign-in/password` with a second-factor challenge offering these factors
   * (`true`: `["totp", "backup_code"]`). @default false
   */
  secondFactor?: boolean | SecondFactor[];
  /** MFA required and no factor yet: the first step answers an enrolment challenge for these. */
  enrollment?: EnrollableFactor[];
  /** The session is not fresh: sensitive changes need `current_password` (403 otherwise). @default false */
  staleSession?: boolean;
  /** Factors already enabled on the account (with a set of backup codes). @default none */
  enabled?: { totp?: boolean; sms?: boolean };
  /** Whether the server can send texts (`GET /v1/mfa` answers `sms.available`). @default true */
  smsSupported?: boolean;
  /** Whether the passkey routes exist (404 `not_found` otherwise, as on an older server). @default true */
  passkeysSupported?: boolean;
  /** The `timeout` of the WebAuthn options handed out, in ms. @default 60000 */
  passkeyTimeoutMs?: number;
}

/** The account's second factors and passkeys, as the fake holds them. */
export interface FakeMFAState {
  totp: "off" | "pending" | "on";
  sms: "off" | "pending" | "on";
  phoneNumber: string | null;
  backupCodes: string[];
  /** Passkeys with the credential id the browser registered. */
  passkeys: (Passkey & { credentialId: string })[];
  /** Whether a code was texted for the current sign-in challenge. */
  signInSMSSent: boolean;
}

/** The fake API. */
export interface FakeAPI {
  fetch: typeof fetch;
  log: LoggedRequest[];
  /** Every refresh token presented to `POST /v1/token`, in order. */
  presentedRefreshTokens(): (string | null)[];
  /** Signs the jar in, as a sign-in in some other page would. */
  signIn(): void;
  /** Ends the session server-side (a revocation from another device). */
  revoke(): void;
  /** Whether the session is live. */
  readonly live: boolean;
  /** The account's factors and passkeys. */
  readonly mfa: FakeMFAState;
  /**
   * Makes the next request to `route` (`"POST /v1/mfa/totp/confirm"`) answer this problem
   * instead, once.
   */
  answerNext(route: string, status: number, code: string, options?: { retryAfterSeconds?: number }): void;
}

/** The challenge every first step hands out. */
export const FAKE_CHALLENGE = "mfac_fake.challenge";

const user = {
  id: "user_1",
  email: "ada@example.com",
  name: "Ada",
  email_verified: true,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:00.000Z",
};

const session = {
  id: "sess_1",
  user_id: "user_1",
  created_at: "2026-01-01T00:00:00.000Z",
  last_active_at: "2026-01-01T00:00:00.000Z",
  idle_expires_at: "2026-01-08T00:00:00.000Z",
  expires_at: "2026-01-31T00:00:00.000Z",
  ip: "127.0.0.1",
  user_agent: "test",
  current: true,
};

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": status >= 400 ? "application/problem+json" : "application/json", ...headers },
  });
}

const problem = (
  status: number,
  code: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) => json(status, { type: `urn:gatehouse:error:${code}`, status, code, detail: `${code} detail`, ...extra }, headers);

const noContent = (): Response => new Response(null, { status: 204 });

/** `+44 •••• ••• 678`-ish: the country code's first digits and the last three, as the contract says. */
function phoneHint(phoneNumber: string): string {
  return `${phoneNumber.slice(0, 3)} •••• ••• ${phoneNumber.slice(-3)}`;
}

const E164 = /^\+[1-9]\d{6,14}$/;

/** The WebAuthn relying party: the page's host in a browser (an IP address cannot be one). */
function rpID(): string {
  return typeof location === "undefined" ? "localhost" : location.hostname;
}

const TEN_BACKUP_CODES = [FAKE_CODES.backupCode, ...Array.from({ length: 9 }, (_, i) => `code${i}-fake${i}`)];

/** Creates a fake API with a signed-out jar. */
export function createFakeAPI(options: FakeAPIOptions = {}): FakeAPI {
  const ttlMs = (options.accessTokenSeconds ?? 1) * 1000;
  const log: LoggedRequest[] = [];
  let live = false;
  let generation = 0;
  // The jar: what the browser's cookies hold.
  let jarRefresh: string | null = null;
  let jarAccessExpiresAt = 0;

  function issue(): number {
    generation++;
    jarRefresh = `refresh-${generation}`;
    jarAccessExpiresAt = Date.now() + ttlMs;
    return ttlMs / 1000;
  }

  function signIn(): void {
    live = true;
    if (!options.sessionStrategy) issue();
  }

  const factorsOnAtStart = Boolean(options.enabled?.totp || options.enabled?.sms);
  const mfa: FakeMFAState = {
    totp: options.enabled?.totp ? "on" : "off",
    sms: options.enabled?.sms ? "on" : "off",
    phoneNumber: options.enabled?.sms ? "+447700900678" : null,
    backupCodes: factorsOnAtStart ? [...TEN_BACKUP_CODES] : [],
    passkeys: [],
    signInSMSSent: false,
  };
  const overrides = new Map<string, Response>();
  let passkeyCount = 0;
  // The first step's challenge: none until a first step answered one.
  let challenge: { kind: "sign-in" | "enrollment"; factors: string[]; enrolling: "totp" | "sms" | null } | null = null;

  const signedInBody = (extra: Record<string, unknown> = {}) => {
    signIn();
    return options.sessionStrategy
      ? { user, session, ...extra }
      : { user, session, expires_in: ttlMs / 1000, ...extra };
  };

  /** The first step: signed in, or a challenge when the options say one is due. */
  function firstStep(): Response {
    const factors =
      options.secondFactor === true ? ["totp", "backup_code"] : options.secondFactor ? options.secondFactor : null;
    if (factors) {
      challenge = { kind: "sign-in", factors, enrolling: null };
      mfa.signInSMSSent = false;
      return json(200, { status: "needs_second_factor", challenge: FAKE_CHALLENGE, factors, expires_in: 300 });
    }
    if (options.enrollment) {
      challenge = { kind: "enrollment", factors: options.enrollment, enrolling: null };
      return json(200, {
        status: "needs_second_factor_enrollment",
        challenge: FAKE_CHALLENGE,
        factors: options.enrollment,
        expires_in: 300,
      });
    }
    return json(200, signedInBody());
  }

  function challengeOf(body: { challenge?: unknown }, kind: "sign-in" | "enrollment") {
    return challenge !== null && challenge.kind === kind && body.challenge === FAKE_CHALLENGE ? challenge : null;
  }

  /** The one rule for "does this code answer this factor". */
  function rightCode(factor: unknown, code: unknown): boolean {
    if (factor === "totp") return code === FAKE_CODES.totp;
    if (factor === "sms") return code === FAKE_CODES.sms;
    if (factor === "backup_code" && typeof code === "string" && mfa.backupCodes.includes(code)) {
      mfa.backupCodes = mfa.backupCodes.filter((each) => each !== code);
      return true;
    }
    return false;
  }

  /** Backup codes are made when the first factor is enabled; a further factor keeps them. */
  function enableFactor(factor: "totp" | "sms"): string[] {
    const first = mfa.totp !== "on" && mfa.sms !== "on";
    mfa[factor] = "on";
    if (!first) return [];
    mfa.backupCodes = [...TEN_BACKUP_CODES];
    return mfa.backupCodes;
  }

  function disableFactor(factor: "totp" | "sms"): void {
    mfa[factor] = "off";
    if (factor === "sms") mfa.phoneNumber = null;
    if (mfa.totp !== "on" && mfa.sms !== "on") mfa.backupCodes = [];
  }

  /** Re-authentication: a fresh session, or the right current password. */
  const reauthenticated = (body: { current_password?: unknown }): boolean =>
    !options.staleSession || body.current_password === FAKE_CODES.password;

  function passkeyJSON(passkey: FakeMFAState["passkeys"][number]): Passkey {
    const { credentialId: _credentialId, ...rest } = passkey;
    return rest;
  }

  function mfaStatus(): Record<string, unknown> {
    return {
      enabled: mfa.totp === "on" || mfa.sms === "on",
      required: Boolean(options.enrollment),
      totp: { enabled: mfa.totp === "on", confirmed_at: mfa.totp === "on" ? "2026-01-02T00:00:00.000Z" : null },
      sms: {
        available: options.smsSupported !== false,
        enabled: mfa.sms === "on",
        phone_number_hint: mfa.sms === "on" && mfa.phoneNumber ? phoneHint(mfa.phoneNumber) : null,
        confirmed_at: mfa.sms === "on" ? "2026-01-02T00:00:00.000Z" : null,
      },
      backup_codes: { remaining: mfa.backupCodes.length },
    };
  }

  /** The second-factor and passkey routes; null when `route` is none of them. */
  function mfaRoute(
    method: string,
    path: string,
    body: Record<string, unknown>,
    accessValid: boolean,
  ): Response | null {
    const route = `${method} ${path}`;
    if (options.passkeysSupported === false && /^\/v1\/(sign-in\/)?passkey/.test(path))
      return problem(404, "not_found");
    switch (route) {
      case "POST /v1/sign-in/second-factor/sms": {
        const current = challengeOf(body, "sign-in");
        if (!current || !current.factors.includes("sms")) return problem(400, "invalid_challenge");
        mfa.signInSMSSent = true;
        return json(200, { phone_number_hint: phoneHint(mfa.phoneNumber ?? "+447700900678"), expires_in: 300 });
      }
      case "POST /v1/sign-in/second-factor/enroll/totp": {
        const current = challengeOf(body, "enrollment");
        if (!current || !current.factors.includes("totp")) return problem(400, "invalid_challenge");
        current.enrolling = "totp";
        return json(200, {
          secret: FAKE_CODES.secret,
          otpauth_url: `otpauth://totp/Fake:ada?secret=${FAKE_CODES.secret}`,
          qr_svg: FAKE_QR_SVG,
        });
      }
      case "POST /v1/sign-in/second-factor/enroll/sms": {
        const current = challengeOf(body, "enrollment");
        if (!current || !current.factors.includes("sms")) return problem(400, "invalid_challenge");
        if (typeof body.phone_number !== "string" || !E164.test(body.phone_number))
          return problem(422, "invalid_phone_number");
        current.enrolling = "sms";
        mfa.phoneNumber = body.phone_number;
        return json(200, { phone_number_hint: phoneHint(body.phone_number), expires_in: 300 });
      }
      case "POST /v1/sign-in/second-factor/enroll/totp/confirm":
      case "POST /v1/sign-in/second-factor/enroll/sms/confirm": {
        const factor = path.includes("/totp/") ? "totp" : "sms";
        const current = challengeOf(body, "enrollment");
        if (!current) return problem(400, "invalid_challenge");
        if (current.enrolling !== factor) return problem(409, "mfa_not_enabled");
        if (!rightCode(factor, body.code)) return problem(400, "invalid_code");
        challenge = null;
        return json(200, signedInBody({ backup_codes: enableFactor(factor) }));
      }
      case "POST /v1/sign-in/passkey/options":
        return json(200, {
          options: {
            challenge: "ZmFrZS1jaGFsbGVuZ2U",
            rpId: rpID(),
            allowCredentials: [],
            userVerification: "required",
            timeout: options.passkeyTimeoutMs ?? 60_000,
          },
        });
      case "POST /v1/sign-in/passkey": {
        const response = body.response as { id?: unknown } | undefined;
        const passkey = mfa.passkeys.find((each) => each.credentialId === response?.id);
        if (!passkey) return problem(400, "invalid_passkey");
        passkey.last_used_at = new Date().toISOString();
        return json(200, signedInBody());
      }
    }
    if (!path.startsWith("/v1/mfa") && !path.startsWith("/v1/passkeys")) return null;
    if (!accessValid) return problem(401, "unauthenticated");
    switch (route) {
      case "GET /v1/mfa":
        return json(200, mfaStatus());
      case "POST /v1/mfa/totp":
        if (mfa.totp === "on") return problem(409, "mfa_already_enabled");
        mfa.totp = "pending";
        return json(200, {
          secret: FAKE_CODES.secret,
          otpauth_url: `otpauth://totp/Fake:ada?secret=${FAKE_CODES.secret}`,
          qr_svg: FAKE_QR_SVG,
        });
      case "POST /v1/mfa/totp/confirm":
      case "POST /v1/mfa/sms/confirm": {
        const factor = path.includes("/totp/") ? "totp" : "sms";
        if (mfa[factor] !== "pending")
          return problem(409, mfa[factor] === "on" ? "mfa_already_enabled" : "mfa_not_enabled");
        if (!rightCode(factor, body.code)) return problem(400, "invalid_code");
        return json(200, { backup_codes: enableFactor(factor) });
      }
      case "POST /v1/mfa/totp/disable":
      case "POST /v1/mfa/sms/disable": {
        const factor = path.includes("/totp/") ? "totp" : "sms";
        if (!reauthenticated(body)) return problem(403, "reauthentication_required");
        if (mfa[factor] !== "on") return problem(409, "mfa_not_enabled");
        disableFactor(factor);
        return noContent();
      }
      case "POST /v1/mfa/backup-codes":
        if (!reauthenticated(body)) return problem(403, "reauthentication_required");
        if (mfa.totp !== "on" && mfa.sms !== "on") return problem(409, "mfa_not_enabled");
        mfa.backupCodes = TEN_BACKUP_CODES.map((code) => code.split("").reverse().join(""));
        return json(200, { backup_codes: mfa.backupCodes });
      case "POST /v1/mfa/verify":
        if (!rightCode(body.factor, body.code)) return problem(400, "invalid_code");
        return json(200, { session: { ...session, second_factor_verified_at: new Date().toISOString() } });
      case "POST /v1/mfa/sms":
        if (mfa.sms === "on") return problem(409, "mfa_already_enabled");
        if (typeof body.phone_number !== "string" || !E164.test(body.phone_number))
          return problem(422, "invalid_phone_number");
        mfa.sms = "pending";
        mfa.phoneNumber = body.phone_number;
        return json(200, { phone_number_hint: phoneHint(body.phone_number), expires_in: 300 });
      case "POST /v1/mfa/sms/send":
        if (mfa.sms !== "on" || !mfa.phoneNumber) return problem(409, "mfa_not_enabled");
        return json(200, { phone_number_hint: phoneHint(mfa.phoneNumber), expires_in: 300 });
      case "POST /v1/passkeys/registration/options":
        if (!reauthenticated(body)) return problem(403, "reauthentication_required");
        return json(200, {
          options: {
            challenge: "ZmFrZS1yZWdpc3RyYXRpb24",
            rp: { name: "Fake", id: rpID() },
            user: { id: "dXNlcl8x", name: user.email, displayName: user.name },
            pubKeyCredParams: [
              { alg: -7, type: "public-key" },
              { alg: -257, type: "public-key" },
            ],
            timeout: options.passkeyTimeoutMs ?? 60_000,
            attestation: "none",
            excludeCredentials: mfa.passkeys.map((each) => ({ id: each.credentialId, type: "public-key" })),
            authenticatorSelection: { residentKey: "required", userVerification: "required" },
          },
        });
      case "POST /v1/passkeys/registration": {
        const response = body.response as { id?: unknown } | undefined;
        if (typeof response?.id !== "string") return problem(400, "invalid_passkey");
        if (mfa.passkeys.some((each) => each.credentialId === response.id))
          return problem(409, "passkey_already_registered");
        const passkey = {
          id: `pk_${++passkeyCount}`,
          credentialId: response.id,
          name: typeof body.name === "string" ? body.name : "Passkey",
          created_at: new Date().toISOString(),
          last_used_at: null,
          device_type: "multiDevice" as const,
          backed_up: true,
          transports: ["internal"],
        };
        mfa.passkeys.push(passkey);
        return json(201, { passkey: passkeyJSON(passkey) });
      }
      case "GET /v1/passkeys":
        return json(200, { passkeys: mfa.passkeys.map(passkeyJSON) });
    }
    const one = /^\/v1\/passkeys\/([^/]+)$/.exec(path);
    const passkey = one ? mfa.passkeys.find((each) => each.id === decodeURIComponent(one[1]!)) : undefined;
    if (one && (method === "PATCH" || method === "DELETE")) {
      if (!passkey) return problem(404, "not_found");
      if (method === "DELETE") {
        mfa.passkeys = mfa.passkeys.filter((each) => each !== passkey);
        return noContent();
      }
      if (typeof body.name === "string") passkey.name = body.name;
      return json(200, { passkey: passkeyJSON(passkey) });
    }
    return problem(404, "not_found");
  }

  const fetchImpl = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), "http://app.test");
    const method = init.method ?? "GET";
    const body = typeof init.body === "string" ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    const entry: LoggedRequest = {
      method,
      path: url.pathname,
      at: Date.now(),
      ...(init.body === undefined ? {} : { body }),
    };
    log.push(entry);
    // A tick of latency, so concurrent requests really overlap.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const route = `${method} ${url.pathname}`;
    const accessValid = live && (options.sessionStrategy || Date.now() < jarAccessExpiresAt);
    const override = overrides.get(route);
    if (override) {
      overrides.delete(route);
      return override;
    }
    const answered = mfaRoute(method, url.pathname, body, Boolean(accessValid));
    if (answered) return answered;
    switch (route) {
      case "GET /v1/session":
        if (!accessValid) return problem(401, "unauthenticated");
        return json(
          200,
          options.sessionStrategy
            ? { user, session }
            : { user, session, expires_in: Math.floor((jarAccessExpiresAt - Date.now()) / 1000) },
        );
      case "POST /v1/sign-in/password":
        if (body.password !== FAKE_CODES.password) return problem(401, "invalid_credentials");
        return firstStep();
      case "POST /v1/sign-in/second-factor": {
        const current = challengeOf(body, "sign-in");
        if (!current || !current.factors.includes(String(body.factor))) return problem(400, "invalid_challenge");
        if (body.factor === "sms" && !mfa.signInSMSSent) return problem(400, "invalid_code");
        if (!rightCode(body.factor, body.code)) return problem(400, "invalid_code");
        challenge = null;
        return json(200, signedInBody());
      }
      case "POST /v1/sign-up":
        if (body.email === "x")
          return problem(422, "validation_failed", { errors: [{ pointer: "/email", detail: "bad" }] });
        return firstStep();
      case "POST /v1/password-reset":
        return problem(429, "rate_limited", {});
      case "POST /v1/token": {
        entry.refreshToken = jarRefresh;
        if (options.sessionStrategy) return problem(400, "unsupported_grant_type");
        if (!live || jarRefresh === null) return problem(400, "invalid_request");
        if (jarRefresh !== `refresh-${generation}`) {
          live = false;
          return problem(400, "invalid_grant");
        }
        return json(200, { token_type: "Bearer", expires_in: issue(), session_id: "sess_1" });
      }
      case "POST /v1/sign-out":
        live = false;
        jarRefresh = null;
        return new Response(null, { status: 204 });
      case "GET /v1/sessions":
        if (!accessValid) return problem(401, "unauthenticated");
        return json(200, { data: [session] });
      case "GET /api/data":
        return accessValid ? json(200, { ok: true }) : problem(401, "unauthenticated");
      default:
        return problem(404, "not_found");
    }
  };

  return {
    fetch: fetchImpl as typeof fetch,
    log,
    presentedRefreshTokens: () =>
      log.filter((each) => each.path === "/v1/token").map((each) => each.refreshToken ?? null),
    signIn,
    revoke() {
      live = false;
    },
    get live() {
      return live;
    },
    get mfa() {
      return mfa;
    },
    answerNext(route, status, code, { retryAfterSeconds } = {}) {
      const headers: Record<string, string> =
        retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) };
      overrides.set(route, problem(status, code, {}, headers));
    },
  };
}

/** An in-memory `Storage` shared by the "tabs" of a test. */
export function memoryStorage(): Pick<Storage, "getItem" | "setItem" | "removeItem"> {
  const values = new Map<string, string>();
  return {
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => void values.set(key, value),
    removeItem: (key) => void values.delete(key),
  };
}

/** An exclusive lock manager shared by the "tabs" of a test, as the Web Locks API behaves. */
export function memoryLocks(): { request<T>(name: string, callback: () => Promise<T>): Promise<T> } {
  const queues = new Map<string, Promise<unknown>>();
  return {
    request<T>(name: string, callback: () => Promise<T>): Promise<T> {
      const previous = queues.get(name) ?? Promise.resolve();
      const result = previous.then(callback);
      queues.set(
        name,
        result.catch(() => {}),
      );
      return result;
    },
  };
}
