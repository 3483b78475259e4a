/**
 * `<SignUp/>`: creates a password account. Signs in at once, or — when the server requires a
 * verified address first — tells the user to open the link it emailed, or — when it requires
 * MFA — has the new account set up a second factor before its first session.
 */
import { useState, type FormEvent, type ReactNode } from "react";
import type { SecondFactorEnrollmentChallenge, SignUpResult } from "../browser/client.js";
import { destination, looksLikeEmail, useForm } from "../lib/form.js";
import { Branding, Button, Card, Field, LOADING_STEP, MailIcon, Notice, PasswordField } from "../lib/ui.js";
import { formatMessage } from "../messages/index.js";
import { useGatehouse } from "../provider/context.js";
import { EnrollmentStep } from "../sign-in/enrollment-step.js";

/** Props of {@link SignUp}. */
export interface SignUpProps {
  /**
   * Where to go once signed up.
   * @default the page's `?redirect_url=` when it is on this origin, else the provider's `paths.afterSignIn`
   */
  redirectURL?: string;
  /** Called instead of navigating once the account exists (signed in or waiting for verification). */
  onSignedUp?(result: SignUpResult): void;
  /** The sign-in link; null hides it. @default the provider's `paths.signIn` */
  signInURL?: string | null;
  /**
   * Whether to ask for a name.
   * @default true
   */
  collectName?: boolean;
}

/**
 * The sign-up card.
 *
 * @example
 * ```tsx
 * <SignUp redirectURL="/welcome" />
 * ```
 */
export function SignUp(props: SignUpProps): ReactNode {
  const { client, state, messages, appName, paths, navigate } = useGatehouse();
  const t = messages.signUp;
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [pending, setPending] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [enrollment, setEnrollment] = useState<SecondFactorEnrollmentChallenge | null>(null);
  const form = useForm(messages);
  const target = destination(props.redirectURL, paths.afterSignIn);
  const signInURL = props.signInURL === undefined ? paths.signIn : props.signInURL;

  async function onSubmit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!client) return;
    const problems: Record<string, string> = {};
    if (email.trim() === "") problems.email = messages.errors.email_required;
    else if (!looksLikeEmail(email)) problems.email = messages.errors.email_invalid;
    if (password === "") problems.password = messages.errors.password_required;
    if (Object.keys(problems).length > 0) return form.invalid(problems);
    await form.run(async () => {
      const result = await client.signUp({
        email: email.trim(),
        password,
        ...(name.trim() ? { name: name.trim() } : {}),
      });
      if (result.status === "needs_second_factor_enrollment") return setEnrollment(result);
      setDone(true);
      if (props.onSignedUp) props.onSignedUp(result);
      else if (result.status === "needs_email_verification") setPending(result.user.email);
      else navigate(target);
    });
  }

  if (enrollment !== null) {
    return (
      <EnrollmentStep
        challenge={enrollment}
        onSignedIn={(result) => {
          setEnrollment(null);
          setDone(true);
          if (props.onSignedUp) props.onSignedUp(result);
          else navigate(target);
        }}
        onExpired={() => {
          setEnrollment(null);
          form.setError(messages.errors.invalid_challenge);
        }}
      />
    );
  }

  if (pending !== null) {
    return (
      <Card title={t.verifyTitle} step="verify" icon={<MailIcon />} footer={<Branding />}>
        <p className="gh-text">{formatMessage(t.verifySent, { email: pending })}</p>
      </Card>
    );
  }

  if (state.status === "loading" || !client || (state.status === "signed-in" && done)) {
    return (
      <Card title={t.title} step={LOADING_STEP}>
        <p className="gh-muted" role="status">
          {messages.common.loading}
        </p>
      </Card>
    );
  }

  const footer =
    signInURL === null ? null : (
      <p>
        {t.haveAccount}{" "}
        <a
          className="gh-link"
          href={typeof window === "undefined" ? signInURL : `${signInURL}${window.location.search}`}
        >
          {t.signInLink}
        </a>
      </p>
    );

  return (
    <Card
      title={t.title}
      subtitle={appName ? formatMessage(t.subtitle, { appName }) : t.subtitleGeneric}
      footer={footer}
    >
      <form className="gh-form" noValidate onSubmit={(event) => void onSubmit(event)}>
        <Notice tone="error" noticeRef={form.noticeRef}>
          {form.error}
        </Notice>
        {props.collectName === false ? null : (
          <Field
            label={messages.common.name}
            labelNote={messages.common.optional}
            name="name"
            value={name}
            onChange={setName}
            autoComplete="name"
            maxLength={200}
            error={form.fieldErrors.name}
            inputRef={form.register("name")}
          />
        )}
        <Field
          label={messages.common.email}
          name="email"
          type="email"
          value={email}
          onChange={setEmail}
          autoComplete="email"
          error={form.fieldErrors.email}
          inputRef={form.register("email")}
        />
        <PasswordField
          label={messages.common.password}
          name="password"
          value={password}
          onChange={setPassword}
          autoComplete="new-password"
          hint={t.passwordHint}
          error={form.fieldErrors.password}
          inputRef={form.register("password")}
        />
        <Button type="submit" busy={form.busy}>
          {t.submit}
        </Button>
      </form>
    </Card>
  );
}
