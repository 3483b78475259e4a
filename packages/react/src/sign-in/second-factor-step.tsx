/**
 * The built-in second-factor step of `<SignIn/>`: one factor at a time — authenticator code,
 * texted code (sent on request, with a resend cooldown), or backup code — and a way to switch to
 * each other factor the challenge offers.
 */
import { useState, type FormEvent, type ReactNode } from "react";
import type { SecondFactor, SMSCodeSent } from "../browser/api.js";
import type { SecondFactorChallenge } from "../browser/client.js";
import type { FormState } from "../lib/form.js";
import { Button, Notice } from "../lib/ui.js";
import {
  CodeField,
  codeProblem,
  cooldownAfter,
  ResendButton,
  SMS_RESEND_COOLDOWN_SECONDS,
  useCooldown,
} from "../mfa/parts.js";
import { formatMessage } from "../messages/index.js";
import { useGatehouse } from "../provider/context.js";

/** The factor offered first: the authenticator, else SMS, else a backup code. */
function preferred(factors: readonly SecondFactor[]): SecondFactor {
  for (const factor of ["totp", "sms", "backup_code"] as const) if (factors.includes(factor)) return factor;
  return "totp";
}

/** Props of {@link SecondFactorStep}. */
export interface SecondFactorStepBodyProps {
  challenge: SecondFactorChallenge;
  form: FormState;
  /** Answers the challenge; rejects with the API's error. */
  complete(factor: SecondFactor, code: string): Promise<void>;
  /** Texts a code for the challenge. */
  sendSMS(): Promise<SMSCodeSent>;
}

/** The second-factor step's body (inside the sign-in card). */
export function SecondFactorStep({ challenge, form, complete, sendSMS }: SecondFactorStepBodyProps): ReactNode {
  const { messages } = useGatehouse();
  const t = messages.signIn;
  const [factor, setFactor] = useState<SecondFactor>(() => preferred(challenge.factors));
  const [code, setCode] = useState("");
  const [sms, setSMS] = useState<SMSCodeSent | null>(null);
  const cooldown = useCooldown();
  const numeric = factor !== "backup_code";

  async function send(options: { again: boolean }): Promise<void> {
    await form.run(async () => {
      try {
        const answer = await sendSMS();
        setSMS(answer);
        cooldown.start(Math.min(SMS_RESEND_COOLDOWN_SECONDS, answer.expires_in));
        if (options.again) form.setNotice(formatMessage(t.smsResent, { phone: answer.phone_number_hint }));
      } catch (error) {
        const wait = cooldownAfter(error);
        if (wait !== null) cooldown.start(wait);
        throw error;
      }
    });
  }

  async function onSubmit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const problem = codeProblem(code, { numeric }, messages.errors);
    if (problem) return form.invalid({ code: problem });
    await form.run(() => complete(factor, code.trim()));
  }

  function switchTo(next: SecondFactor): void {
    form.reset();
    setCode("");
    setFactor(next);
  }

  const switchLabels: Record<SecondFactor, string> = {
    totp: t.useAuthenticator,
    sms: t.useSMS,
    backup_code: t.useBackupCode,
  };
  const others = challenge.factors.filter((each) => each !== factor && each in switchLabels);
  const notice = (
    <Notice tone={form.error ? "error" : "info"} noticeRef={form.noticeRef}>
      {form.error ?? form.notice}
    </Notice>
  );

  let body: ReactNode;
  if (factor === "sms" && sms === null) {
    body = (
      <div className="gh-form" key="sms-send">
        {notice}
        <p className="gh-text">{t.smsPrompt}</p>
        <Button busy={form.busy} disabled={cooldown.remaining > 0} onClick={() => void send({ again: false })}>
          {cooldown.remaining > 0 ? formatMessage(t.resendSMSIn, { seconds: cooldown.remaining }) : t.sendSMS}
        </Button>
      </div>
    );
  } else {
    const prompt =
      factor === "sms" && sms
        ? formatMessage(t.smsSentPrompt, {
            phone: sms.phone_number_hint,
            minutes: Math.max(1, Math.round(sms.expires_in / 60)),
          })
        : factor === "backup_code"
          ? t.backupCodePrompt
          : t.totpPrompt;
    body = (
      // Keyed by factor: a new field, so it takes focus and forgets the other factor's input.
      <form className="gh-form" key={factor} noValidate onSubmit={(event) => void onSubmit(event)}>
        {notice}
        <p className="gh-text">{prompt}</p>
        <CodeField
          form={form}
          value={code}
          onChange={setCode}
          numeric={numeric}
          label={factor === "backup_code" ? t.backupCode : messages.common.code}
        />
        <Button type="submit" busy={form.busy}>
          {t.secondFactorSubmit}
        </Button>
        {factor === "sms" ? (
          <ResendButton cooldown={cooldown.remaining} onClick={() => void send({ again: true })} />
        ) : null}
      </form>
    );
  }

  return (
    <>
      {body}
      {others.length > 0 ? (
        <div className="gh-stack gh-factor-switch">
          {others.map((other) => (
            <Button key={other} variant="link" onClick={() => switchTo(other)}>
              {switchLabels[other]}
            </Button>
          ))}
        </div>
      ) : null}
    </>
  );
}
