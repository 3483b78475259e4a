/**
 * `<UserButton/>`: the signed-in user's avatar, opening a menu with their name and address,
 * a link to the account page and sign-out. A WAI-ARIA menu button: Enter, Space or the arrow
 * keys open it, arrows move between items, Escape closes it and returns focus to the button.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { initials } from "../lib/format.js";
import { Root, SettingsIcon, SignOutIcon } from "../lib/ui.js";
import { useGatehouse } from "../provider/context.js";

/** Props of {@link UserButton}. */
export interface UserButtonProps {
  /** The "Manage account" link. @default the provider's `paths.account` */
  accountURL?: string;
  /** Where to go after signing out. @default the provider's `paths.afterSignOut` */
  afterSignOutURL?: string;
}

/** The avatar: the user's initials on the accent colour. */
export function Avatar({
  name,
  email,
  size = "medium",
}: {
  name: string | null;
  email: string;
  size?: "medium" | "large";
}): ReactNode {
  return (
    <span className={`gh-avatar gh-avatar-${size}`} aria-hidden="true">
      {initials(name, email)}
    </span>
  );
}

/**
 * The user menu. Renders nothing when nobody is signed in.
 *
 * @example
 * ```tsx
 * <header><Logo /><UserButton /></header>
 * ```
 */
export function UserButton(props: UserButtonProps): ReactNode {
  const { client, state, messages, paths, navigate } = useGatehouse();
  const t = messages.userButton;
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const buttonId = useId();
  const menuId = useId();
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const wrapper = useRef<HTMLDivElement>(null);
  const [focusIndex, setFocusIndex] = useState(0);

  const items = (): HTMLElement[] => Array.from(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []);

  useEffect(() => {
    if (!open) return;
    items()[focusIndex]?.focus();
  }, [open, focusIndex]);

  useEffect(() => {
    if (!open) return;
    // A click anywhere else closes the menu, as a native menu would.
    const onPointerDown = (event: PointerEvent): void => {
      if (!wrapper.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", onPointerDown);
    return () => document.removeEventListener("pointerdown", onPointerDown);
  }, [open]);

  if (state.status !== "signed-in" || !client) return null;
  const { user } = state;

  function openAt(index: number): void {
    setFocusIndex(index);
    setOpen(true);
  }

  function close(options: { focusButton: boolean }): void {
    setOpen(false);
    if (options.focusButton) button.current?.focus();
  }

  function onButtonKeyDown(event: KeyboardEvent): void {
    if (event.key === "ArrowDown" || event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      openAt(0);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      openAt(items().length > 0 ? items().length - 1 : 1);
    }
  }

  function onMenuKeyDown(event: KeyboardEvent): void {
    const count = items().length;
    const moves: Record<string, number> = {
      ArrowDown: (focusIndex + 1) % count,
      ArrowUp: (focusIndex - 1 + count) % count,
      Home: 0,
      End: count - 1,
    };
    if (event.key in moves) {
      event.preventDefault();
      setFocusIndex(moves[event.key]!);
    } else if (event.key === "Escape") {
      event.preventDefault();
      close({ focusButton: true });
    } else if (event.key === "Tab") {
      close({ focusButton: false });
    }
  }

  async function signOut(): Promise<void> {
    if (!client || busy) return;
    setBusy(true);
    try {
      await client.signOut();
    } finally {
      setBusy(false);
      setOpen(false);
    }
    navigate(props.afterSignOutURL ?? paths.afterSignOut);
  }

  const label = user.name ? `${t.open}: ${user.name}` : `${t.open}: ${user.email}`;
  return (
    <Root className="gh-user-button">
      <div ref={wrapper} className="gh-menu-wrap">
        <button
          ref={button}
          id={buttonId}
          type="button"
          className="gh-avatar-button"
          aria-haspopup="menu"
          aria-expanded={open}
          aria-controls={open ? menuId : undefined}
          onClick={() => (open ? close({ focusButton: false }) : openAt(0))}
          onKeyDown={onButtonKeyDown}
        >
          <Avatar name={user.name} email={user.email} />
          {/* Text, not aria-label: the name must contain what is visible, and the initials are hidden. */}
          <span className="gh-visually-hidden">{label}</span>
        </button>
        {open ? (
          <div
            ref={menu}
            id={menuId}
            role="menu"
            aria-labelledby={buttonId}
            className="gh-menu"
            onKeyDown={onMenuKeyDown}
          >
            <div className="gh-menu-header">
              <Avatar name={user.name} email={user.email} />
              <div className="gh-menu-identity">
                {user.name ? <p className="gh-menu-name">{user.name}</p> : null}
                <p className="gh-menu-email">{user.email}</p>
              </div>
            </div>
            <a
              role="menuitem"
              tabIndex={-1}
              className="gh-menu-item"
              href={props.accountURL ?? paths.account}
              onClick={() => setOpen(false)}
            >
              <SettingsIcon />
              {t.manageAccount}
            </a>
            <button
              role="menuitem"
              tabIndex={-1}
              type="button"
              className="gh-menu-item"
              aria-busy={busy || undefined}
              onClick={() => void signOut()}
            >
              <SignOutIcon />
              {t.signOut}
            </button>
          </div>
        ) : null}
      </div>
    </Root>
  );
}
