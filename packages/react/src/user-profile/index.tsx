/**
 * `<UserProfile/>`: the account page. The user's name and address (with verification by
 * emailed code), an address change, a password change, the security settings (second factors
 * and passkeys), and every active session — device, place and last activity — each of which can
 * be signed out from here.
 */
import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import type { Session } from "../browser/api.js";
import { errorMessage, looksLikeEmail, useForm } from "../lib/form.js";
import { deviceName, parseUserAgent, relativeTime } from "../lib/format.js";
import {
  Button,
  Disclosure,
  Field,
  LaptopIcon,
  Notice,
  PasswordField,
  PhoneIcon,
  Root,
  Section,
  SignOutIcon,
} from "../lib/ui.js";
import { formatMessage } from "../messages/index.js";
import { PasskeySettings } from "../mfa/passkey-settings.js";
import { SecondFactorSettings } from "../mfa/second-factor-settings.js";
import { useGatehouse } from "../provider/context.js";
import { Avatar } from "../user-button/index.js";

/** Props of {@link UserProfile}. */
export interface UserProfileProps {
  /** Where to go after signing out (or ending this device's session). @default the provider's `paths.afterSignOut` */
  afterSignOutURL?: string;
}

function EmailSection(): ReactNode {
  const { client, state, messages } = useGatehouse();
  const t = messages.userProfile;
  const verify = useForm(messages);
  const change = useForm(messages);
  const [codeSent, setCodeSent] = useState(false);
  const [code, setCode] = useState("");
  const [newEmail, setNewEmail] = useState("");
  const [currentPassword, setCurrentPassword] = useState("");
  if (state.status !== "signed-in" || !client) return null;
  const { user } = state;

  async function sendVerification(): Promise<void> {
    if (!client) return;
    const sent = await verify.run(() => client.requestEmailVerification());
    if (sent) {
      setCodeSent(true);
      verify.setNotice(formatMessage(t.verificationSent, { email: user.email }));
    }
  }

  async function onCode(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!client) return;
    if (!/^\d{6}$/.test(code.trim())) return verify.invalid({ code: messages.errors.code_invalid });
    const done = await verify.run(async () => {
      await client.confirmEmailVerification({ code: code.trim() });
    });
    if (done) {
      setCodeSent(false);
      setCode("");
      verify.setNotice(t.emailVerified);
    }
  }

  async function onChange(event: FormEvent, close: () => void): Promise<void> {
    event.preventDefault();
    if (!client) return;
    if (!looksLikeEmail(newEmail)) return change.invalid({ email: messages.errors.email_invalid });
    const sent = await change.run(() =>
      client.changeEmail({ email: newEmail.trim(), ...(currentPassword ? { currentPassword } : {}) }),
    );
    if (sent) {
      change.setNotice(formatMessage(t.changeEmailSent, { email: newEmail.trim() }));
      setNewEmail("");
      setCurrentPassword("");
      close();
    }
  }

  return (
    <Section title={t.emailSection}>
      <div className="gh-item">
        <span className="gh-item-main">{user.email}</span>
        <span className={user.email_verified ? "gh-badge gh-badge-success" : "gh-badge gh-badge-warning"}>
          {user.email_verified ? t.verified : t.unverified}
        </span>
      </div>
      <Notice tone={verify.error ? "error" : "success"} noticeRef={verify.noticeRef}>
        {verify.error ?? verify.notice}
      </Notice>
      {!user.email_verified && !codeSent ? (
        <Button variant="secondary" busy={verify.busy} onClick={() => void sendVerification()}>
          {t.sendVerification}
        </Button>
      ) : null}
      {!user.email_verified && codeSent ? (
        <form className="gh-form gh-form-inline" noValidate onSubmit={(event) => void onCode(event)}>
          <Field
            label={t.verificationCode}
            name="code"
            value={code}
            onChange={setCode}
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={6}
            className="gh-input-code"
            error={verify.fieldErrors.code}
            inputRef={verify.register("code")}
          />
          <Button type="submit" busy={verify.busy}>
            {t.verifyCode}
          </Button>
        </form>
      ) : null}
      <Notice tone={change.error ? "error" : "success"} noticeRef={change.noticeRef}>
        {change.error ?? change.notice}
      </Notice>
      <Disclosure label={t.changeEmail}>
        {(close) => (
          <form className="gh-form" noValidate onSubmit={(event) => void onChange(event, close)}>
            <Field
              label={t.newEmail}
              name="email"
              type="email"
              value={newEmail}
              onChange={setNewEmail}
              autoComplete="email"
              autoFocus
              error={change.fieldErrors.email}
              inputRef={change.register("email")}
            />
            <PasswordField
              label={t.currentPassword}
              name="current_password"
              value={currentPassword}
              onChange={setCurrentPassword}
              autoComplete="current-password"
              hint={t.currentPasswordHint}
              inputRef={change.register("current_password")}
            />
            <div className="gh-actions">
              <Button type="submit" busy={change.busy}>
                {t.changeEmailSubmit}
              </Button>
              <Button variant="ghost" onClick={close}>
                {messages.common.cancel}
              </Button>
            </div>
          </form>
        )}
      </Disclosure>
    </Section>
  );
}

function PasswordSection(): ReactNode {
  const { client, messages } = useGatehouse();
  const t = messages.userProfile;
  const form = useForm(messages);
  const [currentPassword, setCurrentPassword] = useState("");
  const [password, setPassword] = useState("");

  async function onSubmit(event: FormEvent, close: () => void): Promise<void> {
    event.preventDefault();
    if (!client) return;
    if (password === "") return form.invalid({ password: messages.errors.password_required });
    const done = await form.run(() =>
      client.changePassword({ password, ...(currentPassword ? { currentPassword } : {}) }),
    );
    if (done) {
      setCurrentPassword("");
      setPassword("");
      form.setNotice(t.passwordChanged);
      close();
    }
  }

  return (
    <Section title={t.passwordSection}>
      <Notice tone={form.error ? "error" : "success"} noticeRef={form.noticeRef}>
        {form.error ?? form.notice}
      </Notice>
      <Disclosure label={t.changePassword}>
        {(close) => (
          <form className="gh-form" noValidate onSubmit={(event) => void onSubmit(event, close)}>
            <PasswordField
              label={t.currentPassword}
              name="current_password"
              value={currentPassword}
              onChange={setCurrentPassword}
              autoComplete="current-password"
              autoFocus
              hint={t.currentPasswordHint}
              inputRef={form.register("current_password")}
            />
            <PasswordField
              label={t.newPassword}
              name="password"
              value={password}
              onChange={setPassword}
              autoComplete="new-password"
              hint={messages.signUp.passwordHint}
              error={form.fieldErrors.password}
              inputRef={form.register("password")}
            />
            <div className="gh-actions">
              <Button type="submit" busy={form.busy}>
                {t.changePasswordSubmit}
              </Button>
              <Button variant="ghost" onClick={close}>
                {messages.common.cancel}
              </Button>
            </div>
          </form>
        )}
      </Disclosure>
    </Section>
  );
}

function SessionsSection({ afterSignOutURL }: { afterSignOutURL: string }): ReactNode {
  const { client, state, messages, navigate } = useGatehouse();
  const t = messages.userProfile;
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [status, setStatus] = useState<{ tone: "error" | "success"; text: string } | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  const statusRef = useRef<HTMLDivElement>(null);
  const signedIn = state.status === "signed-in";

  const load = useCallback(async () => {
    if (!client) return;
    try {
      setSessions(await client.listSessions());
    } catch (error) {
      setStatus({ tone: "error", text: errorMessage(error, messages) });
    }
  }, [client, messages]);

  useEffect(() => {
    if (signedIn) void load();
  }, [signedIn, load]);

  async function revoke(session: Session): Promise<void> {
    if (!client || busyId) return;
    const device = deviceName(session.user_agent, messages);
    setBusyId(session.id);
    try {
      await client.revokeSession(session.id);
      if (session.current) {
        navigate(afterSignOutURL);
        return;
      }
      setStatus({ tone: "success", text: formatMessage(t.revoked, { device }) });
      await load();
    } catch (error) {
      setStatus({ tone: "error", text: errorMessage(error, messages) });
    } finally {
      setBusyId(null);
      // The button that had focus is gone: continue from the announcement.
      statusRef.current?.focus();
    }
  }

  const now = Date.now();
  return (
    <Section title={t.sessionsSection} intro={t.sessionsIntro}>
      <Notice tone={status?.tone ?? "success"} noticeRef={statusRef}>
        {status?.text}
      </Notice>
      {sessions === null ? (
        <p className="gh-muted" role="status">
          {messages.common.loading}
        </p>
      ) : (
        <ul className="gh-sessions">
          {sessions.map((session) => {
            const device = deviceName(session.user_agent, messages);
            return (
              <li key={session.id} className="gh-session" data-current={session.current || undefined}>
                <span className="gh-session-icon" aria-hidden="true">
                  {parseUserAgent(session.user_agent).mobile ? <PhoneIcon /> : <LaptopIcon />}
                </span>
                <div className="gh-session-main">
                  <p className="gh-session-device">
                    {device}
                    {session.current ? <span className="gh-badge gh-badge-accent">{t.thisDevice}</span> : null}
                  </p>
                  <p className="gh-session-meta">
                    <span>{session.ip ?? t.unknownPlace}</span>
                    <span aria-hidden="true"> · </span>
                    <span>
                      {formatMessage(t.lastActive, { time: relativeTime(session.last_active_at, now, messages) })}
                    </span>
                  </p>
                  <p className="gh-session-meta">
                    {formatMessage(t.signedInAt, {
                      time: new Date(session.created_at).toLocaleString(undefined, {
                        dateStyle: "medium",
                        timeStyle: "short",
                      }),
                    })}
                  </p>
                </div>
                <Button
                  variant={session.current ? "ghost" : "danger"}
                  busy={busyId === session.id}
                  aria-label={formatMessage(t.revokeLabel, {
                    device: session.current ? `${device} (${t.thisDevice})` : device,
                  })}
                  onClick={() => void revoke(session)}
                >
                  {session.current ? t.signOut : t.revoke}
                </Button>
              </li>
            );
          })}
          {sessions.length === 1 ? <li className="gh-muted gh-session-empty">{t.noOtherSessions}</li> : null}
        </ul>
      )}
    </Section>
  );
}

/**
 * The account page's content. Renders a loading line until the session is known, and nothing
 * when nobody is signed in (wrap it in `<Protect>` to send visitors to sign-in).
 *
 * @example
 * ```tsx
 * <Protect><UserProfile /></Protect>
 * ```
 */
export function UserProfile(props: UserProfileProps): ReactNode {
  const { client, state, messages, paths, navigate } = useGatehouse();
  const t = messages.userProfile;
  const afterSignOutURL = props.afterSignOutURL ?? paths.afterSignOut;
  if (state.status === "loading" || !client) {
    return (
      <Root>
        <p className="gh-muted" role="status">
          {messages.common.loading}
        </p>
      </Root>
    );
  }
  if (state.status !== "signed-in") return null;
  const { user } = state;
  return (
    <Root>
      <div className="gh-profile">
        <header className="gh-profile-header">
          <Avatar name={user.name} email={user.email} size="large" />
          <div>
            <h1 className="gh-title" tabIndex={-1}>
              {user.name ?? user.email}
            </h1>
            <p className="gh-muted">
              {user.name ? `${user.email} · ` : ""}
              {formatMessage(t.memberSince, {
                date: new Date(user.created_at).toLocaleDateString(undefined, { dateStyle: "long" }),
              })}
            </p>
          </div>
        </header>
        <EmailSection />
        <PasswordSection />
        <SecondFactorSettings />
        <PasskeySettings />
        <SessionsSection afterSignOutURL={afterSignOutURL} />
        <div className="gh-profile-footer">
          <Button variant="secondary" onClick={() => void client.signOut().finally(() => navigate(afterSignOutURL))}>
            <SignOutIcon />
            {t.signOut}
          </Button>
        </div>
      </div>
    </Root>
  );
}
