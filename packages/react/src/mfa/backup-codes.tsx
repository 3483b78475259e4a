/**
 * `<BackupCodes/>`: shows a set of backup codes once — as a list a screen reader reads code by
 * code — with copy and download, and optionally an "I saved them" button that moves on. The
 * codes are never stored by the component; once it unmounts they are gone from the page.
 */
import { useRef, useState, type ReactNode } from "react";
import { Button, CheckIcon, Notice } from "../lib/ui.js";
import { useGatehouse } from "../provider/context.js";

/** Props of {@link BackupCodes}. */
export interface BackupCodesProps {
  /** The codes, as the API returned them. */
  codes: string[];
  /** Shows an "I saved them" button that calls this; without it there is no button. */
  onContinue?(): void;
  /**
   * The downloaded file's name.
   * @default the catalogue's `mfa.downloadName` ("backup-codes.txt")
   */
  fileName?: string;
}

/**
 * The backup codes, with copy and download.
 *
 * @example
 * ```tsx
 * const codes = await client.confirmTOTPEnrollment({ code });
 * <BackupCodes codes={codes} onContinue={() => setCodes(null)} />
 * ```
 */
export function BackupCodes({ codes, onContinue, fileName }: BackupCodesProps): ReactNode {
  const { messages, appName } = useGatehouse();
  const t = messages.mfa;
  const [status, setStatus] = useState<{ tone: "success" | "error"; text: string } | null>(null);
  const statusRef = useRef<HTMLDivElement>(null);
  const text = `${appName ? `${appName} — ` : ""}${t.backupCodesLabel}\n\n${codes.join("\n")}\n`;

  async function copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      setStatus({ tone: "success", text: t.copied });
    } catch {
      // No clipboard permission (or an insecure page): the codes are on screen to copy by hand.
      setStatus({ tone: "error", text: t.copyFailed });
    }
  }

  function download(): void {
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = fileName ?? t.downloadName;
    link.click();
    // After the click has started the download; revoking at once can cancel it in some browsers.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }

  return (
    <div className="gh-backup-codes">
      <p className="gh-text">{t.backupCodesIntro}</p>
      <ol className="gh-code-list" aria-label={t.backupCodesLabel}>
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <Notice tone={status?.tone ?? "success"} noticeRef={statusRef}>
        {status?.text}
      </Notice>
      <div className="gh-actions">
        <Button variant="secondary" onClick={() => void copy()}>
          {t.copy}
        </Button>
        <Button variant="secondary" onClick={download}>
          {t.download}
        </Button>
        {onContinue ? (
          <Button onClick={onContinue}>
            <CheckIcon />
            {t.savedThem}
          </Button>
        ) : null}
      </div>
    </div>
  );
}
