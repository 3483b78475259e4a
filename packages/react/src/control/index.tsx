/**
 * Control components: render their children only in one session state. They render nothing
 * while the session is still loading, so a page never flashes the wrong content.
 */
import type { ReactNode } from "react";
import type { User } from "../browser/api.js";
import { Card } from "../lib/ui.js";
import { useGatehouse } from "../provider/context.js";

/**
 * Renders its children only when someone is signed in.
 * @example
 * ```tsx
 * <SignedIn><UserButton /></SignedIn>
 * ```
 */
export function SignedIn({ children }: { children?: ReactNode }): ReactNode {
  const { state } = useGatehouse();
  return state.status === "signed-in" ? children : null;
}

/**
 * Renders its children only when nobody is signed in.
 * @example
 * ```tsx
 * <SignedOut><a href="/sign-in">Sign in</a></SignedOut>
 * ```
 */
export function SignedOut({ children }: { children?: ReactNode }): ReactNode {
  const { state } = useGatehouse();
  return state.status === "signed-out" ? children : null;
}

/** Props of {@link Protect}. */
export interface ProtectProps {
  children?: ReactNode;
  /** An extra condition on the signed-in user (say, a verified address). */
  condition?(user: User): boolean;
  /**
   * What to show instead. By default a card linking to sign-in (with a way back here); pass
   * null to show nothing.
   */
  fallback?: ReactNode;
}

/**
 * Renders its children only for a signed-in user who meets `condition`. This hides UI; the
 * data behind it must still be protected by your API (the SDK's middleware does that).
 *
 * @example
 * ```tsx
 * <Protect condition={(user) => user.email_verified} fallback={<p>Verify your email first.</p>}>
 *   <Billing />
 * </Protect>
 * ```
 */
export function Protect({ children, condition, fallback }: ProtectProps): ReactNode {
  const { state, messages, paths } = useGatehouse();
  if (state.status === "loading") return null;
  if (state.status === "signed-in" && (!condition || condition(state.user))) return children;
  if (fallback !== undefined) return fallback;
  // Signed in, but not allowed: there is nothing to sign in to.
  if (state.status === "signed-in") return null;
  const back = typeof window === "undefined" ? "" : `?redirect_url=${encodeURIComponent(window.location.href)}`;
  return (
    <Card title={messages.protect.signInRequired}>
      <a className="gh-button gh-button-primary" href={`${paths.signIn}${back}`}>
        <span>{messages.protect.signInLink}</span>
      </a>
    </Card>
  );
}
