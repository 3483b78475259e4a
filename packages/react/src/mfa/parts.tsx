/**
 * The pieces the second-factor screens share, in sign-in and in the account settings alike: the
 * authenticator set-up (QR code as an image, the key for typing in, the confirming code), the
 * phone set-up (number, texted code, resend with a cooldown), the code field, and the password
 * prompt for changes the server wants re-authenticated.
 */
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from "react";
import type { SMSCodeSent, TOTPEnrollment } from "../browser/api.js";
import { hasCode, useForm, type FormState } from "../lib/form.js";
import { Button, Field, Notice, PasswordField } from "../lib/ui.js";
import { formatMessage } from "../messages/index.js";
import { useGatehouse } from "../provider/context.js";

/** Seconds before a new SMS code may be asked for, unless the server says otherwise (Retry-After). */
export const SMS_RESEND_COOLDOWN_SECONDS = 30;

/**
 * The server's QR code as a `data:` image. The SVG comes from the server, but it is markup: shown
 * as an image, no script or handler in it can run, and the page needs no HTML injection (which
 * the hosted pages' Trusted Types policy would refuse anyway).
 */
export function qrImageSource(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

/** A countdown in whole seconds; `start(n)` (re)starts it. */
export function useCooldown(): { remaining: number; start(seconds: number): void } {
  const [until, setUntil] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until <= now) return;
    const timer = setTimeout(() => setNow(Date.now()), Math.min(1000, until - now));
    return () => clearTimeout(timer);
  }, [until, now]);
  const start = useCallback((seconds: number) => {
    const at = Date.now();
    setNow(at);
    setUntil(at + seconds * 1000);
  }, []);
  return { remaining: Math.max(0, Math.ceil((until - now) / 1000)), start };
}

/** The cooldown after a send: a short fixed wait, or the server's Retry-After when it refused. */
export function cooldownAfter(error: unknown): number | null {
  return hasCode(error, "rate_limited") ? Math.ceil(error.retryAfterSeconds ?? SMS_RESEND_COOLDOWN_SECONDS) : null;
}

/** The "enter the 6-digit code" field every factor uses. */
export function CodeField(props: {
  form: FormState;
  value: string;
  onChange(value: string): void;
  label?: string;
  /** Backup codes are letters and digits; the others digits only. */
  numeric?: boolean;
  hint?: ReactNode;
}): ReactNode {
  const { messages } = useGatehouse();
  const numeric = props.numeric ?? true;
  return (
    <Field
      label={props.label ?? messages.common.code}
      name="code"
      value={props.value}
      onChange={props.onChange}
      inputMode={numeric ? "numeric" : "text"}
      autoComplete="one-time-code"
      maxLength={numeric ? 6 : 64}
      spellCheck={false}
      autoCapitalize="off"
      autoFocus
      hint={props.hint}
      error={props.form.fieldErrors.code}
      inputRef={props.form.register("code")}
      className={numeric ? "gh-input-code" : undefined}
    />
  );
}

/** Whether a code looks sendable: six digits for TOTP and SMS, anything non-empty for a backup code. */
export function codeProblem(
  code: string,
  options: { numeric: boolean },
  messages: { code_invalid: string },
): string | null {
  const trimmed = code.trim();
  if (options.numeric ? !/^\d{6}$/.test(trimmed) : trimmed === "") return messages.code_invalid;
  return null;
}

/** Props of {@link TOTPSetup}. */
export interface TOTPSetupProps {
  enrollment: TOTPEnrollment;
  /** Confirms with the code; rejects with the API's error when it is wrong. */
  confirm(code: string): Promise<void>;
  onCancel?(): void;
  /** The form that shows this step's errors (owned by the caller, so it can add its own). */
  form: FormState;
}

/** Scan the QR code (or type the key), then confirm with a code from the app. */
export function TOTPSetup({ enrollment, confirm, onCancel, form }: TOTPSetupProps): ReactNode {
  const { messages } = useGatehouse();
  const t = messages.mfa;
  const [code, setCode] = useState("");

  async function onSubmit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const problem = codeProblem(code, { numeric: true }, messages.errors);
    if (problem) return form.invalid({ code: problem });
    await form.run(() => confirm(code.trim()));
  }

  return (
    <form className="gh-form" noValidate onSubmit={(event) => void onSubmit(event)}>
      <Notice tone={form.error ? "error" : "info"} noticeRef={form.noticeRef}>
        {form.error ?? form.notice}
      </Notice>
      <p className="gh-text">{t.totpScan}</p>
      <img className="gh-qr" src={qrImageSource(enrollment.qr_svg)} alt={t.qrAlt} width={176} height={176} />
      <div className="gh-secret">
        <p className="gh-muted">{t.cantScan}</p>
        <p>
          <span className="gh-visually-hidden">{t.secretLabel}: </span>
          <code className="gh-secret-value" aria-label={`${t.secretLabel}: ${enrollment.secret}`}>
            {enrollment.secret.replace(/(.{4})(?=.)/g, "$1 ")}
          </code>
        </p>
      </div>
      <CodeField form={form} value={code} onChange={setCode} />
      <div className="gh-actions">
        <Button type="submit" busy={form.busy}>
          {t.confirm}
        </Button>
        {onCancel ? (
          <Button variant="ghost" onClick={onCancel}>
            {messages.common.cancel}
          </Button>
        ) : null}
      </div>
    </form>
  );
}

/** Turns what someone typed into E.164 (`+447700900123`), or null when it cannot be one. */
export function normalisePhoneNumber(input: string): string | null {
  const compact = input.replace(/[\s\-().]/g, "");
  return /^\+[1-9]\d{6,14}$/.test(compact) ? compact : null;
}

/** Props of {@link SMSSetup}. */
export interface SMSSetupProps {
  /** Texts a code to the number (E.164). */
  send(phoneNumber: string): Promise<SMSCodeSent>;
  /** Confirms with the texted code. */
  confirm(code: string): Promise<void>;
  onCancel?(): void;
  form: FormState;
}

/** Phone number, then the texted code, with "send a new code" after a cooldown. */
export function SMSSetup({ send, confirm, onCancel, form }: SMSSetupProps): ReactNode {
  const { messages } = useGatehouse();
  const t = messages.mfa;
  const [phone, setPhone] = useState("");
  const [sent, setSent] = useState<{ phoneNumber: string; answer: SMSCodeSent } | null>(null);
  const [code, setCode] = useState("");
  const cooldown = useCooldown();

  async function sendTo(phoneNumber: string): Promise<void> {
    await form.run(async () => {
      try {
        const answer = await send(phoneNumber);
        setSent({ phoneNumber, answer });
        cooldown.start(Math.min(SMS_RESEND_COOLDOWN_SECONDS, answer.expires_in));
      } catch (error) {
        const wait = cooldownAfter(error);
        if (wait !== null) cooldown.start(wait);
        throw error;
      }
    });
  }

  async function onPhone(event: FormEvent): Promise<void> {
    event.preventDefault();
    const phoneNumber = normalisePhoneNumber(phone);
    if (!phoneNumber) return form.invalid({ phone_number: t.phoneInvalid });
    await sendTo(phoneNumber);
  }

  async function onCode(event: FormEvent): Promise<void> {
    event.preventDefault();
    const problem = codeProblem(code, { numeric: true }, messages.errors);
    if (problem) return form.invalid({ code: problem });
    await form.run(() => confirm(code.trim()));
  }

  const notice = (
    <Notice tone={form.error ? "error" : "info"} noticeRef={form.noticeRef}>
      {form.error ?? form.notice}
    </Notice>
  );
  const cancel = onCancel ? (
    <Button variant="ghost" onClick={onCancel}>
      {messages.common.cancel}
    </Button>
  ) : null;

  if (!sent) {
    return (
      <form className="gh-form" noValidate onSubmit={(event) => void onPhone(event)}>
        {notice}
        <Field
          label={t.phoneNumber}
          name="phone_number"
          type="tel"
          value={phone}
          onChange={setPhone}
          autoComplete="tel"
          inputMode="tel"
          autoFocus
          hint={t.phoneNumberHint}
          error={form.fieldErrors.phone_number}
          inputRef={form.register("phone_number")}
        />
        <div className="gh-actions">
          <Button type="submit" busy={form.busy}>
            {t.sendCode}
          </Button>
          {cancel}
        </div>
      </form>
    );
  }

  const minutes = Math.max(1, Math.round(sent.answer.expires_in / 60));
  return (
    <form className="gh-form" noValidate onSubmit={(event) => void onCode(event)}>
      {notice}
      <p className="gh-text">{formatMessage(t.smsCodePrompt, { phone: sent.answer.phone_number_hint, minutes })}</p>
      <CodeField form={form} value={code} onChange={setCode} />
      <div className="gh-actions">
        <Button type="submit" busy={form.busy}>
          {t.confirm}
        </Button>
        {cancel}
      </div>
      <ResendButton cooldown={cooldown.remaining} onClick={() => void sendTo(sent.phoneNumber)} />
    </form>
  );
}

/** "Send a new code", unavailable (and saying for how long) during the cooldown. */
export function ResendButton({ cooldown, onClick }: { cooldown: number; onClick(): void }): ReactNode {
  const { messages } = useGatehouse();
  return (
    <Button variant="link" disabled={cooldown > 0} onClick={onClick}>
      {cooldown > 0 ? formatMessage(messages.signIn.resendSMSIn, { seconds: cooldown }) : messages.signIn.resendSMS}
    </Button>
  );
}

/**
 * Runs changes that may need re-authentication: an action is first tried without a password; if
 * the server answers `reauthentication_required`, {@link ReauthenticationPrompt} asks for the
 * password and runs the same action again with it.
 */
export function useReauthentication(form: FormState): {
  /** The action waiting for a password, or null. */
  pending: ((currentPassword?: string) => Promise<void>) | null;
  /** Runs `action`, asking for the password when the server wants it. */
  run(action: (currentPassword?: string) => Promise<void>): Promise<void>;
  cancel(): void;
} {
  const [pending, setPending] = useState<((currentPassword?: string) => Promise<void>) | null>(null);
  const run = useCallback(
    async (action: (currentPassword?: string) => Promise<void>) => {
      await form.run(async () => {
        try {
          await action();
        } catch (error) {
          if (!hasCode(error, "reauthentication_required")) throw error;
          setPending(() => action);
        }
      });
    },
    [form],
  );
  return { pending, run, cancel: useCallback(() => setPending(null), []) };
}

/** The password prompt of {@link useReauthentication}. */
export function ReauthenticationPrompt(props: {
  action: (currentPassword?: string) => Promise<void>;
  onDone(): void;
}): ReactNode {
  const { messages } = useGatehouse();
  const t = messages.mfa;
  const form = useForm(messages);
  const [password, setPassword] = useState("");

  async function onSubmit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (password === "") return form.invalid({ current_password: messages.errors.password_required });
    let refused = false;
    const done = await form.run(async () => {
      try {
        await props.action(password);
      } catch (error) {
        if (!hasCode(error, "reauthentication_required")) throw error;
        refused = true;
      }
    });
    // Still refused: the password was wrong. Said on the field, where the user can fix it.
    if (refused) return form.invalid({ current_password: t.reauthWrong });
    if (done) props.onDone();
  }

  return (
    <form
      className="gh-form gh-reauth"
      noValidate
      onSubmit={(event) => void onSubmit(event)}
      aria-label={t.reauthTitle}
    >
      <p className="gh-text">
        <strong>{t.reauthTitle}.</strong> {t.reauthPrompt}
      </p>
      <Notice tone="error" noticeRef={form.noticeRef}>
        {form.error}
      </Notice>
      <PasswordField
        label={messages.userProfile.currentPassword}
        name="current_password"
        value={password}
        onChange={setPassword}
        autoComplete="current-password"
        autoFocus
        error={form.fieldErrors.current_password}
        inputRef={form.register("current_password")}
      />
      <div className="gh-actions">
        <Button type="submit" busy={form.busy}>
          {t.reauthSubmit}
        </Button>
        <Button variant="ghost" onClick={props.onDone}>
          {messages.common.cancel}
        </Button>
      </div>
    </form>
  );
}
