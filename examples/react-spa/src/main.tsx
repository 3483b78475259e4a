/**
 * The SPA: `<GatehouseProvider>` pointed at Gatehouse, the drop-in components for signing in,
 * signing up and the account page, and a notes page whose API calls carry the session.
 * Routing is by path with full page loads, to keep the example free of a router.
 */
import { StrictMode, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import {
  GatehouseProvider,
  Protect,
  SignIn,
  SignUp,
  SignedIn,
  SignedOut,
  UserButton,
  UserProfile,
} from "@gatehouse/react";
import "@gatehouse/react/styles.css";
import "./app.css";
import { GATEHOUSE_URL } from "./config.js";
import { Notes } from "./notes.js";

function Home(): ReactNode {
  return (
    <>
      <SignedOut>
        <section className="panel hero">
          <h1>Notes, signed in with Gatehouse</h1>
          <p className="muted">Create an account to keep notes. The API checks every request with the Gatehouse SDK.</p>
          <div className="hero-actions">
            <a className="button primary" href="/sign-up">
              Create an account
            </a>
            <a className="button" href="/sign-in">
              Sign in
            </a>
          </div>
        </section>
      </SignedOut>
      <SignedIn>
        <Notes />
      </SignedIn>
    </>
  );
}

function Page(): ReactNode {
  switch (window.location.pathname) {
    case "/sign-in":
      return <SignIn />;
    case "/sign-up":
      return <SignUp />;
    case "/account":
      return (
        <Protect>
          <UserProfile />
        </Protect>
      );
    default:
      return <Home />;
  }
}

function App(): ReactNode {
  return (
    <div className="app">
      <header className="bar">
        <a className="brand" href="/">
          Notes
        </a>
        <nav>
          <SignedOut>
            <a href="/sign-in">Sign in</a>
          </SignedOut>
          <SignedIn>
            <UserButton />
          </SignedIn>
        </nav>
      </header>
      <main className="content">
        <Page />
      </main>
    </div>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <GatehouseProvider
      url={GATEHOUSE_URL}
      appName="Notes"
      // Reset links are emailed to Gatehouse's hosted page; send "Forgot password?" there too.
      paths={{ resetPassword: `${GATEHOUSE_URL}/reset-password`, afterSignOut: "/" }}
    >
      <App />
    </GatehouseProvider>
  </StrictMode>,
);
