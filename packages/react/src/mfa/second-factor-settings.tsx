/**
 * `<SecondFactorSettings/>`: the signed-in user's second factors — an authenticator app (QR code,
 * key, confirming code), SMS codes (number, texted code) and backup codes (how many are left, a
 * new set) — each with a way to turn it off. Turning a factor off and making new backup codes
 * ask for the current password when the server wants re-authentication.
 */
import { useCallback, useEffect, useState, type ReactNode } from "react";
import type { MFAStatus, TOTPEnrollment } from "../browser/api.js";
import { errorMessage, useForm } from "../lib/form.js";
import { Button, Notice, Root, Section } from "../lib/ui.js";
import { formatMessage } from "../messages/index.js";
import { useGatehouse } from "../provider/context.js";
import { BackupCodes } from "./backup-codes.js";
import { ReauthenticationPrompt, SMSSetup, TOTPSetup, useReauthentication } from "./parts.js";

/** Props of {@link SecondFactorSettings}. */
export interface SecondFactorSettingsProps {
  /** Called after a factor was turned on or off, with the new status. */
  onChange?(status: MFAStatus): void;
}

type Mode = { name: "idle" } | { name: "totp"; enrollment: TOTPEnrollment } | { name: "sms" };

function Badge({ on }: { on: boolean }): ReactNode {
  const { messages } = useGatehouse();
  return (
    <span className={on ? "gh-badge gh-badge-success" : "gh-badge"}>{on ? messages.mfa.on : messages.mfa.off}</span>
  );
}

/**
 * The second-factor settings section. Renders nothing when nobody is signed in.
 *
 * @example
 * ```tsx
 * <Protect><SecondFactorSettings /></Protect>
 * ```
 */
export function SecondFactorSettings(props: SecondFactorSettingsProps): ReactNode {
  const { client, state, messages } = useGatehouse();
  const t = messages.mfa;
  const form = useForm(messages);
  const setupForm = useForm(messages);
  const reauth = useReauthentication(form);
  const [status, setStatus] = useState<MFAStatus | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [mode, setMode] = useState<Mode>({ name: "idle" });
  const [codes, setCodes] = useState<string[] | null>(null);
  const signedIn = state.status === "signed-in";
  // Bumped after each change: the announcement takes focus once rendered (the button that was
  // used is gone by then).
  const [announce, setAnnounce] = useState(0);
  const { noticeRef } = form;
  useEffect(() => {
    if (announce > 0) noticeRef.current?.focus();
  }, [announce, noticeRef]);
  const { onChange } = props;

  const load = useCallback(async () => {
    if (!client) return;
    try {
      setStatus(await client.getMFAStatus());
      setLoadError(null);
    } catch (error) {
      setLoadError(errorMessage(error, messages));
    }
  }, [client, messages]);

  useEffect(() => {
    if (signedIn) void load();
  }, [signedIn, load]);

  if (!signedIn || !client) return null;

  /** After a change: the new status, the announcement, and focus on it (the button is gone). */
  async function changed(notice: string, newCodes: string[] = []): Promise<void> {
    if (!client) return;
    setMode({ name: "idle" });
    setCodes(newCodes.length > 0 ? newCodes : null);
    setupForm.reset();
    const next = await client.getMFAStatus();
    setStatus(next);
    setAnnounce((count) => count + 1);
    form.setNotice(notice);
    onChange?.(next);
  }

  const idle = mode.name === "idle";
  const body =
    status === null ? (
      <>
        <Notice tone="error">{loadError}</Notice>
        {loadError ? (
          <Button variant="secondary" onClick={() => void load()}>
            {t.retry}
          </Button>
        ) : (
          <p className="gh-muted" role="status">
            {messages.common.loading}
          </p>
        )}
      </>
    ) : (
      <>
        <Notice tone={form.error ? "error" : "success"} noticeRef={form.noticeRef}>
          {form.error ?? form.notice}
        </Notice>
        {reauth.pending ? <ReauthenticationPrompt action={reauth.pending} onDone={reauth.cancel} /> : null}
        {codes ? <BackupCodes codes={codes} onContinue={() => setCodes(null)} /> : null}

        <div className="gh-factor" data-factor="totp">
          <div className="gh-factor-head">
            <span className="gh-item-main">{t.totpTitle}</span>
            <Badge on={status.totp.enabled} />
          </div>
          <p className="gh-muted">
            {status.totp.enabled && status.totp.confirmed_at
              ? formatMessage(t.totpEnabledSince, {
                  date: new Date(status.totp.confirmed_at).toLocaleDateString(undefined, { dateStyle: "medium" }),
                })
              : t.totpDescription}
          </p>
          {status.totp.enabled ? (
            <Button
              variant="secondary"
              onClick={() =>
                void reauth.run(async (currentPassword) => {
                  await client.disableTOTP({ currentPassword });
                  await changed(t.totpDisabled);
                })
              }
            >
              {t.totpDisable}
            </Button>
          ) : mode.name === "totp" ? (
            <TOTPSetup
              form={setupForm}
              enrollment={mode.enrollment}
              confirm={async (code) => changed(t.totpEnabled, await client.confirmTOTPEnrollment({ code }))}
              onCancel={() => setMode({ name: "idle" })}
            />
          ) : (
            <Button
              variant="secondary"
              busy={form.busy}
              disabled={!idle}
              onClick={() =>
                void form.run(async () => {
                  setupForm.reset();
                  setMode({ name: "totp", enrollment: await client.startTOTPEnrollment() });
                })
              }
            >
              {t.totpSetUp}
            </Button>
          )}
        </div>

        {/* A number can only be set up where the server can text; one already set up can still be turned off. */}
        {status.sms && (status.sms.available !== false || status.sms.enabled) ? (
          <div className="gh-factor" data-factor="sms">
            <div className="gh-factor-head">
              <span className="gh-item-main">{t.smsTitle}</span>
              <Badge on={status.sms.enabled} />
            </div>
            <p className="gh-muted">
              {status.sms.enabled && status.sms.phone_number_hint
                ? formatMessage(t.smsEnabledFor, { phone: status.sms.phone_number_hint })
                : t.smsDescription}
            </p>
            {status.sms.enabled ? (
              <Button
                variant="secondary"
                onClick={() =>
                  void reauth.run(async (currentPassword) => {
                    await client.disableSMS({ currentPassword });
                    await changed(t.smsDisabled);
                  })
                }
              >
                {t.smsDisable}
              </Button>
            ) : mode.name === "sms" ? (
              <SMSSetup
                form={setupForm}
                send={(phoneNumber) => client.startSMSEnrollment({ phoneNumber })}
                confirm={async (code) => changed(t.smsEnabled, await client.confirmSMSEnrollment({ code }))}
                onCancel={() => setMode({ name: "idle" })}
              />
            ) : (
              <Button
                variant="secondary"
                disabled={!idle}
                onClick={() => {
                  setupForm.reset();
                  setMode({ name: "sms" });
                }}
              >
                {t.smsSetUp}
              </Button>
            )}
          </div>
        ) : null}

        {status.enabled ? (
          <div className="gh-factor" data-factor="backup_code">
            <div className="gh-factor-head">
              <span className="gh-item-main">{t.backupTitle}</span>
              <span className="gh-badge">
                {formatMessage(t.backupRemaining, { count: status.backup_codes.remaining })}
              </span>
            </div>
            <p className="gh-muted">{t.backupDescription}</p>
            <Button
              variant="secondary"
              onClick={() =>
                void reauth.run(async (currentPassword) => {
                  const fresh = await client.regenerateBackupCodes({ currentPassword });
                  await changed(t.backupRegenerated, fresh);
                })
              }
            >
              {t.backupRegenerate}
            </Button>
          </div>
        ) : null}
      </>
    );

  return (
    <Root>
      <Section title={t.sectionTitle} intro={t.sectionIntro}>
        {body}
      </Section>
    </Root>
  );
}
