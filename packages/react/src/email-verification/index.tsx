/**
 * `<VerifyEmail/>`: confirms an address. With the emailed link's token it confirms at once
 * (no session needed); signed in without one, it takes the emailed 6-digit code and can send a
 * new one.
 */
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { errorMessage, useForm } from "../lib/form.js";
import { Button, Card, CheckIcon, Field, MailIcon, Notice } from "../lib/ui.js";
import { useTokenFromURL } from "../password-reset/index.js";
import { formatMessage } from "../messages/index.js";
import { useGatehouse } from "../provider/context.js";

/** Props of {@link VerifyEmail}. */
export interface VerifyEmailProps {
  /** The emailed link's token. @default read from `?token=` and removed from the address bar */
  token?: string | null;
  /** Where "Continue" goes once verified. @default the provider's `paths.afterSignIn` */
  continueURL?: string;
}

/**
 * The email-verification card.
 *
 * @example
 * ```tsx
 * <VerifyEmail />   // on the page the verification email links to
 * ```
 */
export function VerifyEmail(props: VerifyEmailProps): ReactNode {
  const { client, state, messages, paths } = useGatehouse();
  const t = messages.verifyEmail;
  const token = useTokenFromURL(props.token);
  const [verified, setVerified] = useState<string | null>(null);
  const [linkError, setLinkError] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const form = useForm(messages);
  const started = useRef(false);
  const continueURL = props.continueURL ?? paths.afterSignIn;

  useEffect(() => {
    if (!client || token === null || started.current) return;
    // Once: a token is single-use, and effects may run twice in development.
    started.current = true;
    client.confirmEmailVerification({ token }).then(
      (user) => setVerified(user.email),
      (error: unknown) => setLinkError(errorMessage(error, messages)),
    );
  }, [client, token, messages]);

  async function onCode(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!client) return;
    if (!/^\d{6}$/.test(code.trim())) return form.invalid({ code: messages.errors.code_invalid });
    await form.run(async () => {
      const user = await client.confirmEmailVerification({ code: code.trim() });
      setVerified(user.email);
    });
  }

  async function resend(): Promise<void> {
    if (!client) return;
    const sent = await form.run(() => client.requestEmailVerification());
    if (sent) form.setNotice(t.resent);
  }

  const continueLink = (
    <a className="gh-button gh-button-primary" href={continueURL}>
      <span>{t.continue}</span>
    </a>
  );

  if (verified !== null) {
    return (
      <Card title={t.title} step="verified" icon={<CheckIcon />}>
        <Notice tone="success">{formatMessage(t.verified, { email: verified })}</Notice>
        {continueLink}
      </Card>
    );
  }

  if (token !== null) {
    return (
      <Card title={t.title} step={linkError ? "failed" : "verifying"} icon={<MailIcon />}>
        {linkError ? <Notice tone="error">{linkError}</Notice> : <Notice tone="info">{t.verifying}</Notice>}
      </Card>
    );
  }

  if (state.status === "signed-in" && !state.user.email_verified) {
    return (
      <Card title={t.title} subtitle={formatMessage(t.codePrompt, { email: state.user.email })} icon={<MailIcon />}>
        <form className="gh-form" noValidate onSubmit={(event) => void onCode(event)}>
          <Notice tone={form.error ? "error" : "success"} noticeRef={form.noticeRef}>
            {form.error ?? form.notice}
          </Notice>
          <Field
            label={messages.common.code}
            name="code"
            value={code}
            onChange={setCode}
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={6}
            className="gh-input-code"
            error={form.fieldErrors.code}
            inputRef={form.register("code")}
          />
          <Button type="submit" busy={form.busy}>
            {t.codeSubmit}
          </Button>
        </form>
        <Button variant="link" onClick={() => void resend()}>
          {t.resend}
        </Button>
      </Card>
    );
  }

  if (state.status === "signed-in") {
    return (
      <Card title={t.title} step="already" icon={<CheckIcon />}>
        <Notice tone="success">{messages.errors.email_already_verified}</Notice>
        {continueLink}
      </Card>
    );
  }

  return (
    <Card title={t.title} step={state.status}>
      {state.status === "loading" ? (
        <p className="gh-muted" role="status">
          {messages.common.loading}
        </p>
      ) : (
        <Notice tone="error">{t.missingToken}</Notice>
      )}
    </Card>
  );
}
