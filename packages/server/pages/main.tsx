/**
 * The hosted pages (`/sign-in`, `/sign-up`, `/account`, `/reset-password`, `/verify-email`):
 * one small app built from `@gatehouse/react`'s components, told by the server which page to
 * show. Built by Vite into `packages/server/dist/pages` and served under a strict CSP.
 *
 * A magic link whose sign-in needs a second factor lands on `/sign-in` with the challenge in the
 * fragment (`#status=…&challenge=…&factors=…&redirect_url=…`), which never reaches a server or a
 * Referer. The sign-in page opens on that challenge and removes the fragment from the address.
 */
import { StrictMode, useEffect, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import {
  GatehouseProvider,
  ResetPassword,
  SignIn,
  SignUp,
  UserButton,
  UserProfile,
  VerifyEmail,
  useGatehouse,
} from "@gatehouse/react";
import "@gatehouse/react/styles.css";
import "./pages.css";
import { readPageConfig, readFragmentChallenge, type FragmentChallenge, type PageConfig } from "./config.js";

/** The app's name as a small wordmark over every page. */
function Brand({ config }: { config: PageConfig }): ReactNode {
  const name = config.appName ?? "Gatehouse";
  return (
    <a className="page-brand" href={config.redirectURL ?? config.paths.account}>
      <span className="page-brand-mark" aria-hidden="true">
        {name.slice(0, 1).toUpperCase()}
      </span>
      <span>{name}</span>
    </a>
  );
}

/**
 * Whether this page has started to leave. Signing out on the account page makes two requests to
 * leave it: the component that signed out navigates to its after-sign-out page, and the account
 * page, now signed out, redirects to sign in. The second would abort the first mid-load, so only
 * the first is followed. A page restored from the back-forward cache may leave again.
 */
let leaving = false;
window.addEventListener("pageshow", (event) => {
  if (event.persisted) leaving = false;
});

function leave(url: string, how: "assign" | "replace" = "assign"): void {
  if (leaving) return;
  leaving = true;
  window.location[how](url);
}

/** The account page; a visitor who is not signed in is sent to sign in and brought back. */
function Account({ config }: { config: PageConfig }): ReactNode {
  const { state } = useGatehouse();
  useEffect(() => {
    if (state.status !== "signed-out") return;
    // After the current task: a sign-out in this tab resolves, and its component navigates,
    // in the microtasks that follow the state change, so its navigation comes first. A sign-out
    // in another tab (or a visit while signed out) has no such navigation, and this one follows.
    const timer = setTimeout(() =>
      leave(`${config.paths["sign-in"]}?redirect_url=${encodeURIComponent(config.paths.account)}`, "replace"),
    );
    return () => clearTimeout(timer);
  }, [state.status, config]);
  return (
    <div className="page page-wide">
      <header className="page-bar">
        <Brand config={config} />
        <UserButton />
      </header>
      <main className="page-main">
        <UserProfile />
      </main>
    </div>
  );
}

function Page({ config, handedOver }: { config: PageConfig; handedOver: FragmentChallenge | null }): ReactNode {
  if (config.page === "account") return <Account config={config} />;
  const redirectURL = handedOver?.redirectURL ?? config.redirectURL ?? config.paths.account;
  return (
    <div className="page">
      <main className="page-main page-centered">
        <Brand config={config} />
        {config.page === "sign-in" ? (
          <SignIn
            redirectURL={redirectURL}
            initialChallenge={handedOver?.challenge}
            methods={
              config.features.passkeys
                ? ["password", "magic_link", "email_code", "passkey"]
                : ["password", "magic_link", "email_code"]
            }
          />
        ) : null}
        {config.page === "sign-up" ? <SignUp redirectURL={redirectURL} /> : null}
        {config.page === "reset-password" ? <ResetPassword /> : null}
        {config.page === "verify-email" ? <VerifyEmail continueURL={config.paths.account} /> : null}
      </main>
    </div>
  );
}

const config = readPageConfig(document);
const handedOver = config.page === "sign-in" ? readFragmentChallenge(window, config) : null;
document.documentElement.dataset.ghTheme = "system";
if (handedOver !== "reloading")
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <GatehouseProvider
        url={config.paths.api}
        appName={config.appName ?? undefined}
        paths={{
          signIn: config.paths["sign-in"],
          signUp: config.paths["sign-up"],
          account: config.paths.account,
          resetPassword: config.paths["reset-password"],
          afterSignIn: config.redirectURL ?? config.paths.account,
          afterSignOut: config.paths["sign-in"],
        }}
        navigate={leave}
      >
        <Page config={config} handedOver={handedOver} />
      </GatehouseProvider>
    </StrictMode>,
  );
