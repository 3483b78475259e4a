/**
 * `<ResetPassword/>`: the two halves of a password reset. Without a token it asks for the
 * address and sends the link (the same answer whether or not an account exists); with the
 * emailed link's token it sets the new password, which signs the account out everywhere.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import { looksLikeEmail, useForm } from "../lib/form.js";
import { Branding, Button, Card, CheckIcon, Field, KeyIcon, MailIcon, Notice, PasswordField } from "../lib/ui.js";
import { formatMessage } from "../messages/index.js";
import { useGatehouse } from "../provider/context.js";

/** Props of {@link ResetPassword}. */
export interface ResetPasswordProps {
  /**
   * The emailed link's token. By default it is read from the page's `?token=` and then removed
   * from the address bar, so it stays out of the history and of any Referer.
   */
  token?: string | null;
  /** The "Back to sign in" link. @default the provider's `paths.signIn` */
  signInURL?: string;
}

/** Reads `?token=` once and removes it from the address bar. */
export function useTokenFromURL(given: string | null | undefined): string | null {
  const [token] = useState<string | null>(() => {
    if (given !== undefined) return given;
    if (typeof window === "undefined") return null;
    return new URLSearchParams(window.location.search).get("token");
  });
  useEffect(() => {
    if (given !== undefined || typeof window === "undefined") return;
    const url = new URL(window.location.href);
    if (!url.searchParams.has("token")) return;
    url.searchParams.delete("token");
    window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
  }, [given]);
  return token;
}

/**
 * The password-reset card.
 *
 * @example
 * ```tsx
 * <ResetPassword />   // on the page the reset email links to
 * ```
 */
export function ResetPassword(props: ResetPasswordProps): ReactNode {
  const { client, messages, paths } = useGatehouse();
  const t = messages.resetPassword;
  const token = useTokenFromURL(props.token);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [changed, setChanged] = useState(false);
  const form = useForm(messages);
  const signInURL = props.signInURL ?? paths.signIn;
  const back = (
    <p>
      <a className="gh-link" href={signInURL}>
        {t.backToSignIn}
      </a>
    </p>
  );

  async function onRequest(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!client) return;
    if (email.trim() === "") return form.invalid({ email: messages.errors.email_required });
    if (!looksLikeEmail(email)) return form.invalid({ email: messages.errors.email_invalid });
    const sent = await form.run(() => client.requestPasswordReset({ email: email.trim() }));
    if (sent) setSentTo(email.trim());
  }

  async function onConfirm(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!client || token === null) return;
    if (password === "") return form.invalid({ password: messages.errors.password_required });
    const done = await form.run(async () => {
      await client.confirmPasswordReset({ token, password });
      // Every session of the account has ended, this browser's included.
      await client.load().catch(() => {});
    });
    if (done) setChanged(true);
  }

  if (changed) {
    return (
      <Card title={t.doneTitle} step="done" icon={<CheckIcon />}>
        <p className="gh-text">{t.done}</p>
        <a className="gh-button gh-button-primary" href={signInURL}>
          <span>{messages.signIn.submit}</span>
        </a>
      </Card>
    );
  }

  if (sentTo !== null) {
    return (
      <Card title={t.sentTitle} step="sent" icon={<MailIcon />} footer={back}>
        <p className="gh-text">{formatMessage(t.sent, { email: sentTo })}</p>
      </Card>
    );
  }

  if (token !== null) {
    return (
      <Card title={t.newPasswordTitle} icon={<KeyIcon />} footer={back}>
        <form className="gh-form" noValidate onSubmit={(event) => void onConfirm(event)}>
          <Notice tone="error" noticeRef={form.noticeRef}>
            {form.error}
          </Notice>
          <PasswordField
            label={t.newPassword}
            name="password"
            value={password}
            onChange={setPassword}
            autoComplete="new-password"
            autoFocus
            hint={messages.signUp.passwordHint}
            error={form.fieldErrors.password}
            inputRef={form.register("password")}
          />
          <Button type="submit" busy={form.busy}>
            {t.confirmSubmit}
          </Button>
        </form>
      </Card>
    );
  }

  return (
    <Card title={t.title} subtitle={t.subtitle} footer={back}>
      <form className="gh-form" noValidate onSubmit={(event) => void onRequest(event)}>
        <Notice tone="error" noticeRef={form.noticeRef}>
          {form.error}
        </Notice>
        <Field
          label={messages.common.email}
          name="email"
          type="email"
          value={email}
          onChange={setEmail}
          autoComplete="email"
          autoFocus
          error={form.fieldErrors.email}
          inputRef={form.register("email")}
        />
        <Button type="submit" busy={form.busy}>
          {t.submit}
        </Button>
      </form>
      <Branding />
    </Card>
  );
}
