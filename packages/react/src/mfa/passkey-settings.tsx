/**
 * `<PasskeySettings/>`: the signed-in user's passkeys — each with its name, when it was added and
 * last used, and whether it syncs — renamed in place, deleted after a confirmation, and added
 * through the browser's passkey prompt (after the current password when the server wants
 * re-authentication). A closed prompt is said calmly, not as an error. On a server without
 * passkeys the section does not appear.
 */
import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import type { Passkey } from "../browser/api.js";
import { errorMessage, hasCode, useForm } from "../lib/form.js";
import { relativeTime } from "../lib/format.js";
import { Button, Field, KeyIcon, Notice, Root, Section } from "../lib/ui.js";
import { formatMessage } from "../messages/index.js";
import { useGatehouse } from "../provider/context.js";
import { ReauthenticationPrompt, useReauthentication } from "./parts.js";

/** Props of {@link PasskeySettings}. */
export interface PasskeySettingsProps {
  /** Called after a passkey was added, renamed or deleted, with the new list. */
  onChange?(passkeys: Passkey[]): void;
}

type Editing = { id: string; action: "rename" | "delete" } | null;

/**
 * The passkeys section. Renders nothing when nobody is signed in, or when the server has no
 * passkey support.
 *
 * @example
 * ```tsx
 * <Protect><PasskeySettings /></Protect>
 * ```
 */
export function PasskeySettings(props: PasskeySettingsProps): ReactNode {
  const { client, state, messages } = useGatehouse();
  const t = messages.passkeys;
  const form = useForm(messages);
  const reauth = useReauthentication(form);
  const [passkeys, setPasskeys] = useState<Passkey[] | null>(null);
  const [unavailable, setUnavailable] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [name, setName] = useState("");
  const [editing, setEditing] = useState<Editing>(null);
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
      setPasskeys(await client.listPasskeys());
      setLoadError(null);
    } catch (error) {
      // A server without passkeys (not built in, or not configured): nothing to manage here.
      if (hasCode(error, "not_found") || hasCode(error, "not_available")) setUnavailable(true);
      else setLoadError(errorMessage(error, messages));
    }
  }, [client, messages]);

  useEffect(() => {
    if (signedIn) void load();
  }, [signedIn, load]);

  if (!signedIn || !client || unavailable) return null;
  const supported = client.passkeysSupported();

  async function changed(notice: string): Promise<void> {
    if (!client) return;
    const next = await client.listPasskeys();
    setPasskeys(next);
    setEditing(null);
    setAnnounce((count) => count + 1);
    form.setNotice(notice);
    onChange?.(next);
  }

  async function onAdd(event: FormEvent): Promise<void> {
    event.preventDefault();
    const wanted = name.trim();
    await reauth.run(async (currentPassword) => {
      if (!client) return;
      try {
        const passkey = await client.registerPasskey({ ...(wanted ? { name: wanted } : {}), currentPassword });
        setAdding(false);
        setName("");
        await changed(formatMessage(t.added, { name: passkey.name }));
      } catch (error) {
        // The user closed the browser's prompt: a choice, not a failure.
        if (!hasCode(error, "passkey_cancelled")) throw error;
        form.setNotice(messages.errors.passkey_cancelled);
      }
    });
  }

  const now = Date.now();
  return (
    <Root>
      <Section title={t.sectionTitle} intro={t.sectionIntro}>
        <Notice tone={form.error ? "error" : "info"} noticeRef={form.noticeRef}>
          {form.error ?? form.notice}
        </Notice>
        {reauth.pending ? <ReauthenticationPrompt action={reauth.pending} onDone={reauth.cancel} /> : null}
        {passkeys === null ? (
          loadError ? (
            <>
              <Notice tone="error">{loadError}</Notice>
              <Button variant="secondary" onClick={() => void load()}>
                {messages.mfa.retry}
              </Button>
            </>
          ) : (
            <p className="gh-muted" role="status">
              {messages.common.loading}
            </p>
          )
        ) : (
          <ul className="gh-sessions gh-passkeys" aria-label={t.sectionTitle}>
            {passkeys.map((passkey) => (
              <PasskeyItem
                key={passkey.id}
                passkey={passkey}
                now={now}
                editing={editing?.id === passkey.id ? editing.action : null}
                onEdit={(action) => {
                  form.reset();
                  setEditing(action ? { id: passkey.id, action } : null);
                }}
                onRename={(newName) =>
                  form.run(async () => {
                    await client.renamePasskey(passkey.id, newName);
                    await changed(formatMessage(t.renamed, { name: newName }));
                  })
                }
                onDelete={() =>
                  form.run(async () => {
                    await client.deletePasskey(passkey.id);
                    await changed(formatMessage(t.deleted, { name: passkey.name }));
                  })
                }
              />
            ))}
            {passkeys.length === 0 ? <li className="gh-muted gh-session-empty">{t.none}</li> : null}
          </ul>
        )}
        {!supported ? (
          <p className="gh-muted">{t.unsupported}</p>
        ) : adding ? (
          <form className="gh-form" noValidate onSubmit={(event) => void onAdd(event)}>
            <Field
              label={t.name}
              labelNote={messages.common.optional}
              name="passkey_name"
              value={name}
              onChange={setName}
              maxLength={100}
              autoFocus
              hint={t.nameHint}
            />
            <div className="gh-actions">
              <Button type="submit" busy={form.busy}>
                <KeyIcon />
                {t.add}
              </Button>
              <Button variant="ghost" onClick={() => setAdding(false)}>
                {messages.common.cancel}
              </Button>
            </div>
          </form>
        ) : (
          <Button
            variant="secondary"
            onClick={() => {
              form.reset();
              setAdding(true);
            }}
          >
            {t.add}
          </Button>
        )}
      </Section>
    </Root>
  );
}

function PasskeyItem(props: {
  passkey: Passkey;
  now: number;
  editing: "rename" | "delete" | null;
  onEdit(action: "rename" | "delete" | null): void;
  onRename(name: string): Promise<boolean>;
  onDelete(): Promise<boolean>;
}): ReactNode {
  const { messages } = useGatehouse();
  const t = messages.passkeys;
  const { passkey, editing } = props;
  const [name, setName] = useState(passkey.name);
  const [nameError, setNameError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (editing === "delete") confirmRef.current?.focus();
  }, [editing]);

  async function onRename(event: FormEvent): Promise<void> {
    event.preventDefault();
    const wanted = name.trim();
    if (wanted === "") return setNameError(t.nameRequired);
    setBusy(true);
    await props.onRename(wanted);
    setBusy(false);
  }

  const meta = (
    <p className="gh-session-meta">
      <span>
        {formatMessage(t.createdAt, {
          date: new Date(passkey.created_at).toLocaleDateString(undefined, { dateStyle: "medium" }),
        })}
      </span>
      <span aria-hidden="true"> · </span>
      <span>
        {passkey.last_used_at
          ? formatMessage(t.lastUsed, { time: relativeTime(passkey.last_used_at, props.now, messages) })
          : t.neverUsed}
      </span>
    </p>
  );

  return (
    <li className="gh-session" data-passkey={passkey.id}>
      <span className="gh-session-icon" aria-hidden="true">
        <KeyIcon />
      </span>
      <div className="gh-session-main">
        {editing === "rename" ? (
          <form className="gh-form gh-form-inline" noValidate onSubmit={(event) => void onRename(event)}>
            <Field
              label={t.name}
              name="passkey_name"
              value={name}
              onChange={(value) => {
                setName(value);
                setNameError(null);
              }}
              maxLength={100}
              autoFocus
              error={nameError}
            />
            <div className="gh-actions">
              <Button type="submit" busy={busy}>
                {messages.common.save}
              </Button>
              <Button variant="ghost" onClick={() => props.onEdit(null)}>
                {messages.common.cancel}
              </Button>
            </div>
          </form>
        ) : (
          <>
            <p className="gh-session-device">
              {passkey.name}
              {passkey.backed_up ? <span className="gh-badge gh-badge-accent">{t.synced}</span> : null}
            </p>
            {meta}
          </>
        )}
        {editing === "delete" ? (
          <div className="gh-confirm" role="group" aria-label={formatMessage(t.deleteLabel, { name: passkey.name })}>
            <p className="gh-text">{formatMessage(t.deleteConfirm, { name: passkey.name })}</p>
            <div className="gh-actions">
              <Button
                variant="danger"
                ref={confirmRef}
                busy={busy}
                onClick={() => {
                  setBusy(true);
                  void props.onDelete().finally(() => setBusy(false));
                }}
              >
                {t.deleteConfirmButton}
              </Button>
              <Button variant="ghost" onClick={() => props.onEdit(null)}>
                {messages.common.cancel}
              </Button>
            </div>
          </div>
        ) : null}
      </div>
      {editing === null ? (
        <div className="gh-actions">
          <Button
            variant="ghost"
            aria-label={formatMessage(t.renameLabel, { name: passkey.name })}
            onClick={() => {
              setName(passkey.name);
              props.onEdit("rename");
            }}
          >
            {t.rename}
          </Button>
          <Button
            variant="danger"
            aria-label={formatMessage(t.deleteLabel, { name: passkey.name })}
            onClick={() => props.onEdit("delete")}
          >
            {t.delete}
          </Button>
        </div>
      ) : null}
    </li>
  );
}
