/**
 * The required-enrolment step of `<SignIn/>` and `<SignUp/>`: with MFA required, an account
 * without a factor sets one up on the sign-in's challenge — an authenticator app (QR code and
 * key) or, where the server sends SMS, a phone — then sees its backup codes once before the new
 * session is used.
 */
import { useEffect, useRef, useState, type ReactNode } from "react";
import type { TOTPEnrollment } from "../browser/api.js";
import type { EnrolledSignInResult, SecondFactorEnrollmentChallenge, SignInComplete } from "../browser/client.js";
import { hasCode, useForm } from "../lib/form.js";
import { Button, Card, KeyIcon, Notice, PhoneIcon } from "../lib/ui.js";
import { BackupCodes } from "../mfa/backup-codes.js";
import { SMSSetup, TOTPSetup } from "../mfa/parts.js";
import { useGatehouse } from "../provider/context.js";

type Phase =
  | { name: "choose" }
  | { name: "totp"; enrollment: TOTPEnrollment | null }
  | { name: "sms" }
  | { name: "codes"; result: EnrolledSignInResult };

/** Props of {@link EnrollmentStep}. */
export interface EnrollmentStepProps {
  challenge: SecondFactorEnrollmentChallenge;
  /** Signed in (after the backup codes were shown). */
  onSignedIn(result: SignInComplete): void;
  /** The challenge expired or was used up: back to the first step. */
  onExpired(): void;
}

/** The enrolment card. */
export function EnrollmentStep({ challenge, onSignedIn, onExpired }: EnrollmentStepProps): ReactNode {
  const { client, messages } = useGatehouse();
  const t = messages.signIn;
  const form = useForm(messages);
  const onlyTOTP = challenge.factors.length === 1 && challenge.factors[0] === "totp";
  const [phase, setPhase] = useState<Phase>(onlyTOTP ? { name: "totp", enrollment: null } : { name: "choose" });
  const started = useRef(false);

  /** Runs a step of the enrolment; an expired challenge ends it instead of showing an error here. */
  async function onChallenge<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (hasCode(error, "invalid_challenge")) onExpired();
      throw error;
    }
  }

  async function startTOTP(): Promise<void> {
    if (!client) return;
    setPhase({ name: "totp", enrollment: null });
    await form.run(async () => {
      const enrollment = await onChallenge(() => client.startSignInTOTPEnrollment({ challenge: challenge.challenge }));
      setPhase({ name: "totp", enrollment });
    });
  }

  // With only an authenticator to choose, start at once (once: StrictMode runs effects twice, and
  // a second start would replace the secret the first one showed).
  useEffect(() => {
    if (!onlyTOTP || started.current || !client) return;
    started.current = true;
    void startTOTP();
  }, [client]);

  function enrolled(result: EnrolledSignInResult): void {
    if (result.backupCodes.length > 0) setPhase({ name: "codes", result });
    else onSignedIn(result);
  }

  if (!client) return null;

  if (phase.name === "codes") {
    return (
      <Card title={messages.mfa.backupCodesTitle} step="enroll-codes" icon={<KeyIcon />}>
        <BackupCodes codes={phase.result.backupCodes} onContinue={() => onSignedIn(phase.result)} />
      </Card>
    );
  }

  return (
    <Card title={t.enrollTitle} subtitle={t.enrollPrompt} step={`enroll-${phase.name}`} icon={<KeyIcon />}>
      {phase.name === "choose" ? (
        <div className="gh-stack">
          <Notice tone="error" noticeRef={form.noticeRef}>
            {form.error}
          </Notice>
          {challenge.factors.includes("totp") ? (
            <Button variant="secondary" busy={form.busy} onClick={() => void startTOTP()}>
              <KeyIcon />
              {t.enrollTOTP}
            </Button>
          ) : null}
          {challenge.factors.includes("sms") ? (
            <Button variant="secondary" onClick={() => setPhase({ name: "sms" })}>
              <PhoneIcon />
              {t.enrollSMS}
            </Button>
          ) : null}
        </div>
      ) : phase.name === "totp" ? (
        phase.enrollment ? (
          <TOTPSetup
            form={form}
            enrollment={phase.enrollment}
            confirm={async (code) =>
              enrolled(
                await onChallenge(() => client.confirmSignInTOTPEnrollment({ challenge: challenge.challenge, code })),
              )
            }
            onCancel={onlyTOTP ? undefined : () => setPhase({ name: "choose" })}
          />
        ) : (
          <>
            <Notice tone="error" noticeRef={form.noticeRef}>
              {form.error}
            </Notice>
            {form.error ? (
              <Button variant="secondary" onClick={() => void startTOTP()}>
                {messages.mfa.retry}
              </Button>
            ) : (
              <p className="gh-muted" role="status">
                {messages.common.loading}
              </p>
            )}
          </>
        )
      ) : (
        <SMSSetup
          form={form}
          send={(phoneNumber) =>
            onChallenge(() => client.startSignInSMSEnrollment({ challenge: challenge.challenge, phoneNumber }))
          }
          confirm={async (code) =>
            enrolled(
              await onChallenge(() => client.confirmSignInSMSEnrollment({ challenge: challenge.challenge, code })),
            )
          }
          onCancel={() => {
            form.reset();
            setPhase({ name: "choose" });
          }}
        />
      )}
    </Card>
  );
}
