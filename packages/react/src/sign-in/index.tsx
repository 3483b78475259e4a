/**
 * `<SignIn/>`: every way of signing in that the server offers, in one card — email and
 * password, an emailed magic link, an emailed 6-digit code, a passkey — plus the steps a sign-in
 * may ask for: a second factor (authenticator, texted or backup code), or, with MFA required,
 * enrolling one. Errors come from the API's problem codes through the message catalogue.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import type { SecondFactor } from "../browser/api.js";
import type {
  SecondFactorChallenge,
  SecondFactorEnrollmentChallenge,
  SignInComplete,
  SignInResult,
} from "../browser/client.js";
import { destination, hasCode, looksLikeEmail, useForm } from "../lib/form.js";
import {
  Branding,
  Button,
  Card,
  Divider,
  Field,
  KeyIcon,
  LOADING_STEP,
  MailIcon,
  Notice,
  PasswordField,
} from "../lib/ui.js";
import { formatMessage } from "../messages/index.js";
import { useGatehouse } from "../provider/context.js";
import { EnrollmentStep } from "./enrollment-step.js";
import { SecondFactorStep } from "./second-factor-step.js";

/** A way of signing in `<SignIn/>` can offer. `passkey` shows only where the browser supports passkeys. */
export type SignInMethod = "password" | "magic_link" | "email_code" | "passkey";

/** What a custom second-factor step gets: the challenge, and how to answer it. */
export interface SecondFactorStepProps {
  challenge: string;
  /** Factors the user can answer with, e.g. `["totp", "backup_code", "sms"]`. */
  factors: SecondFactor[];
  /** Sends the answer; rejects with a GatehouseAPIError when it is wrong. */
  complete(factor: SecondFactor, code: string): Promise<void>;
}

/** Props of {@link SignIn}. */
export interface SignInProps {
  /**
   * Where to go once signed in.
   * @default the page's `?redirect_url=` when it is on this origin, else the provider's `paths.afterSignIn`
   */
  redirectURL?: string;
  /** Called instead of navigating once signed in. */
  onSignedIn?(result: Extract<SignInResult, { status: "complete" }>): void;
  /** The ways to offer, in order. @default ["password", "magic_link", "email_code", "passkey"] */
  methods?: SignInMethod[];
  /** The sign-up link; null hides it. @default the provider's `paths.signUp` */
  signUpURL?: string | null;
  /** The "Forgot password?" link; null hides it. @default the provider's `paths.resetPassword` */
  resetPasswordURL?: string | null;
  /** Prefills the email field. */
  initialEmail?: string;
  /**
   * Renders the second-factor step instead of the built-in one, which offers each factor of the
   * challenge: the authenticator code, a texted code, a backup code.
   */
  renderSecondFactor?(props: SecondFactorStepProps): ReactNode;
  /**
   * Opens the card on this challenge instead of the first step: e.g. the one a magic link's
   * redirect carries in its fragment (the hosted sign-in page does this).
   */
  initialChallenge?: SecondFactorChallenge | SecondFactorEnrollmentChallenge;
}

type Step =
  | { name: "password" }
  | { name: "magic-link-sent"; email: string }
  | { name: "email-code"; email: string }
  | { name: "second-factor"; challenge: SecondFactorChallenge }
  | { name: "enrollment"; challenge: SecondFactorEnrollmentChallenge }
  | { name: "done" };

function stepOf(challenge: SecondFactorChallenge | SecondFactorEnrollmentChallenge | undefined): Step {
  if (challenge?.status === "needs_second_factor") return { name: "second-factor", challenge };
  if (challenge?.status === "needs_second_factor_enrollment") return { name: "enrollment", challenge };
  return { name: "password" };
}

/** Adds the current page's query (e.g. `redirect_url`) to a link, so it survives switching pages. */
function withQuery(url: string): string {
  if (typeof window === "undefined" || !window.location.search) return url;
  return url.includes("?") ? url : `${url}${window.location.search}`;
}

/**
 * The sign-in card.
 *
 * @example
 * ```tsx
 * <SignIn redirectURL="/dashboard" />
 * ```
 */
export function SignIn(props: SignInProps): ReactNode {
  const { client, state, messages, appName, paths, navigate } = useGatehouse();
  const t = messages.signIn;
  const methods = props.methods ?? ["password", "magic_link", "email_code", "passkey"];
  const [step, setStep] = useState<Step>(() => stepOf(props.initialChallenge));
  const [email, setEmail] = useState(props.initialEmail ?? "");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const form = useForm(messages);
  const [expired, setExpired] = useState(false);
  const target = destination(props.redirectURL, paths.afterSignIn);

  function finish(result: SignInResult): void {
    if (result.status !== "complete") {
      setCode("");
      setStep(stepOf(result));
      return;
    }
    signedIn(result);
  }

  function signedIn(result: SignInComplete): void {
    setStep({ name: "done" });
    if (props.onSignedIn) props.onSignedIn(result);
    else navigate(target);
  }

  function emailProblem(): string | null {
    if (email.trim() === "") return messages.errors.email_required;
    if (!looksLikeEmail(email)) return messages.errors.email_invalid;
    return null;
  }

  async function onPassword(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!client) return;
    const problems: Record<string, string> = {};
    const emailError = emailProblem();
    if (emailError) problems.email = emailError;
    if (password === "") problems.password = messages.errors.password_required;
    if (Object.keys(problems).length > 0) return form.invalid(problems);
    await form.run(async () => finish(await client.signInWithPassword({ email: email.trim(), password })));
  }

  async function sendLink(): Promise<void> {
    if (!client) return;
    const emailError = emailProblem();
    if (emailError) return form.invalid({ email: emailError });
    const redirect = new URL(target, window.location.href).href;
    const sent = await form.run(() => client.requestMagicLink({ email: email.trim(), redirectURL: redirect }));
    if (sent) setStep({ name: "magic-link-sent", email: email.trim() });
  }

  async function sendCode(options: { again: boolean }): Promise<void> {
    if (!client) return;
    const emailError = emailProblem();
    if (emailError) return form.invalid({ email: emailError });
    const sent = await form.run(() => client.requestEmailCode({ email: email.trim() }));
    if (sent) {
      setCode("");
      setStep({ name: "email-code", email: email.trim() });
      if (options.again) form.setNotice(formatMessage(t.codeSent, { email: email.trim() }));
    }
  }

  async function onCode(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!client || step.name !== "email-code") return;
    if (!/^\d{6}$/.test(code.trim())) return form.invalid({ code: messages.errors.code_invalid });
    await form.run(async () => finish(await client.signInWithEmailCode({ email: step.email, code: code.trim() })));
  }

  /**
   * Runs a call on the challenge. When the challenge is gone (expired, used up, completed
   * elsewhere) the error is rethrown after going back to the first step, whose alert then says
   * to sign in again: the same form shows it.
   */
  async function onChallenge<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (hasCode(error, "invalid_challenge")) challengeExpired();
      throw error;
    }
  }

  async function completeSecondFactor(challenge: string, chosen: SecondFactor, answer: string): Promise<void> {
    if (!client) return;
    finish(await onChallenge(() => client.completeSecondFactor({ challenge, factor: chosen, code: answer })));
  }

  async function signInWithPasskey(): Promise<void> {
    if (!client) return;
    await form.run(async () => {
      try {
        finish(await client.signInWithPasskey());
      } catch (error) {
        // Closing the browser's prompt is a choice, not a failure: said calmly.
        if (!hasCode(error, "passkey_cancelled")) throw error;
        form.setNotice(messages.errors.passkey_cancelled);
      }
    });
  }

  // Back on the first step after a challenge ran out: the alert saying so takes focus. An effect of
  // this component runs after the card's own (which focuses the new step's heading), so it wins.
  useEffect(() => {
    if (!expired || step.name !== "password") return;
    setExpired(false);
    form.noticeRef.current?.focus();
  }, [expired, step.name, form.noticeRef]);

  function challengeExpired(): void {
    setStep({ name: "password" });
    setExpired(true);
  }

  function back(): void {
    form.reset();
    setStep({ name: "password" });
  }

  const signUpURL = props.signUpURL === undefined ? paths.signUp : props.signUpURL;
  const resetURL = props.resetPasswordURL === undefined ? paths.resetPassword : props.resetPasswordURL;
  const footer =
    signUpURL === null ? null : (
      <p>
        {t.noAccount}{" "}
        <a className="gh-link" href={withQuery(signUpURL)}>
          {t.signUpLink}
        </a>
      </p>
    );

  if (state.status === "loading" || !client || step.name === "done") {
    return (
      <Card title={t.title} step={LOADING_STEP}>
        <p className="gh-muted" role="status">
          {messages.common.loading}
        </p>
      </Card>
    );
  }

  if (state.status === "signed-in" && step.name === "password") {
    return (
      <Card title={t.title} step="signed-in">
        <p className="gh-text">{formatMessage(t.signedInAs, { email: state.user.email })}</p>
        <div className="gh-actions">
          <Button onClick={() => navigate(target)}>{t.continueTo}</Button>
          <Button variant="secondary" onClick={() => void client.signOut()}>
            {t.signOutInstead}
          </Button>
        </div>
      </Card>
    );
  }

  if (step.name === "magic-link-sent") {
    return (
      <Card title={t.magicLinkSentTitle} step={step.name} icon={<MailIcon />} footer={<Branding />}>
        <p className="gh-text">{formatMessage(t.magicLinkSent, { email: step.email })}</p>
        <Button variant="secondary" onClick={back}>
          {messages.common.back}
        </Button>
      </Card>
    );
  }

  if (step.name === "email-code") {
    return (
      <Card
        title={t.codeTitle}
        subtitle={formatMessage(t.codeSent, { email: step.email })}
        step={step.name}
        icon={<MailIcon />}
        footer={<Branding />}
      >
        <form className="gh-form" noValidate onSubmit={(event) => void onCode(event)}>
          <Notice tone={form.error ? "error" : "info"} noticeRef={form.noticeRef}>
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
            pattern="[0-9]*"
            autoFocus
            error={form.fieldErrors.code}
            inputRef={form.register("code")}
            className="gh-input-code"
          />
          <Button type="submit" busy={form.busy}>
            {t.codeSubmit}
          </Button>
        </form>
        <div className="gh-row">
          <Button variant="link" onClick={() => void sendCode({ again: true })}>
            {t.resendCode}
          </Button>
          <Button variant="link" onClick={back}>
            {messages.common.back}
          </Button>
        </div>
      </Card>
    );
  }

  if (step.name === "second-factor") {
    const { challenge } = step;
    return (
      <Card
        title={t.secondFactorTitle}
        subtitle={props.renderSecondFactor ? t.secondFactorPrompt : undefined}
        step={step.name}
        icon={<KeyIcon />}
      >
        {props.renderSecondFactor ? (
          props.renderSecondFactor({
            challenge: challenge.challenge,
            factors: challenge.factors,
            complete: (chosen, answer) => completeSecondFactor(challenge.challenge, chosen, answer),
          })
        ) : (
          <SecondFactorStep
            challenge={challenge}
            form={form}
            complete={(chosen, answer) => completeSecondFactor(challenge.challenge, chosen, answer)}
            sendSMS={() => onChallenge(() => client.sendSignInSMS({ challenge: challenge.challenge }))}
          />
        )}
        <Button variant="link" onClick={back}>
          {messages.common.back}
        </Button>
      </Card>
    );
  }

  if (step.name === "enrollment") {
    return (
      <EnrollmentStep
        challenge={step.challenge}
        onSignedIn={signedIn}
        onExpired={() => {
          challengeExpired();
          form.setError(messages.errors.invalid_challenge);
        }}
      />
    );
  }

  const subtitle = appName ? formatMessage(t.subtitle, { appName }) : t.subtitleGeneric;
  const passkey = methods.includes("passkey") && client.passkeysSupported();
  const otherMethods = methods.filter(
    (method) => method === "magic_link" || method === "email_code" || (method === "passkey" && passkey),
  );
  return (
    <Card title={t.title} subtitle={subtitle} step={step.name} footer={footer}>
      <form className="gh-form" noValidate onSubmit={(event) => void onPassword(event)}>
        <Notice tone={form.error ? "error" : "info"} noticeRef={form.noticeRef}>
          {form.error ?? form.notice}
        </Notice>
        <Field
          label={messages.common.email}
          name="email"
          type="email"
          value={email}
          onChange={setEmail}
          autoComplete="username"
          autoFocus
          error={form.fieldErrors.email}
          inputRef={form.register("email")}
        />
        {methods.includes("password") ? (
          <>
            <PasswordField
              label={messages.common.password}
              name="password"
              value={password}
              onChange={setPassword}
              autoComplete="current-password"
              error={form.fieldErrors.password}
              inputRef={form.register("password")}
              aside={
                resetURL === null ? null : (
                  <a className="gh-link gh-link-small" href={withQuery(resetURL)}>
                    {t.forgotPassword}
                  </a>
                )
              }
            />
            <Button type="submit" busy={form.busy}>
              {t.submit}
            </Button>
          </>
        ) : null}
      </form>
      {otherMethods.length > 0 ? (
        <>
          {methods.includes("password") ? <Divider label={messages.common.or} /> : null}
          <div className="gh-stack">
            {otherMethods.includes("passkey") ? (
              <Button variant="secondary" onClick={() => void signInWithPasskey()}>
                <KeyIcon />
                {t.passkey}
              </Button>
            ) : null}
            {otherMethods.includes("magic_link") ? (
              <Button variant="secondary" onClick={() => void sendLink()}>
                <MailIcon />
                {t.magicLink}
              </Button>
            ) : null}
            {otherMethods.includes("email_code") ? (
              <Button variant="secondary" onClick={() => void sendCode({ again: false })}>
                {t.emailCode}
              </Button>
            ) : null}
          </div>
        </>
      ) : null}
    </Card>
  );
}
