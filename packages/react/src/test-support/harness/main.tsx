/**
 * The page the component tests drive in Chromium: one component of `@gatehouse/react` inside a
 * provider whose client talks to the fake API running in the page. The query picks the
 * component (`view`), the fake's options (`options`, JSON) and whether the jar starts signed in
 * (`signedIn`); `window.harness` lets the test reach the fake API and see where the component
 * navigated to.
 */
import { StrictMode, useState, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import "../../styles.css";
import { createGatehouseClient } from "../../browser/client.js";
import { GatehouseProvider } from "../../provider/context.js";
import { SignIn } from "../../sign-in/index.js";
import { SignUp } from "../../sign-up/index.js";
import { UserProfile } from "../../user-profile/index.js";
import { SecondFactorSettings } from "../../mfa/second-factor-settings.js";
import { PasskeySettings } from "../../mfa/passkey-settings.js";
import { createFakeAPI, type FakeAPIOptions } from "../fake-api.js";

const query = new URLSearchParams(location.search);
const api = createFakeAPI({ accessTokenSeconds: 300, ...(JSON.parse(query.get("options") ?? "{}") as FakeAPIOptions) });
if (query.get("signedIn") === "1") api.signIn();
const client = createGatehouseClient({ fetch: api.fetch, storage: null, locks: null, channel: null });
const navigated: string[] = [];
let show: (view: string) => void = () => {};

const harness = { api, client, navigated, show: (view: string) => show(view) };
(globalThis as unknown as { harness: typeof harness }).harness = harness;

const views: Record<string, () => ReactNode> = {
  "sign-in": () => <SignIn />,
  "sign-up": () => <SignUp />,
  profile: () => <UserProfile />,
  "second-factor-settings": () => <SecondFactorSettings />,
  passkeys: () => <PasskeySettings />,
};

function Harness(): ReactNode {
  const [view, setView] = useState(query.get("view") ?? "sign-in");
  const [location, setLocation] = useState<string | null>(null);
  show = (next) => {
    setLocation(null);
    setView(next);
  };
  return (
    <GatehouseProvider
      client={client}
      theme="light"
      navigate={(url) => {
        navigated.push(url);
        setLocation(url);
      }}
    >
      {location ? <p data-testid="navigated">Navigated to {location}</p> : views[view]!()}
    </GatehouseProvider>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Harness />
  </StrictMode>,
);
