/**
 * `<GatehouseProvider>` and the hooks: the provider owns one browser client for the app (or
 * uses the one it is given), re-renders its subtree when the session changes, and carries the
 * message catalogue, theme and page paths the components use.
 */
import { createContext, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from "react";
import { createGatehouseClient } from "../browser/client.js";
import type { AuthState, GatehouseClient } from "../browser/client.js";
import type { Session, User } from "../browser/api.js";
import { mergeMessages, type MessageOverrides, type Messages } from "../messages/index.js";

/** Where the components link to and send users after each flow. */
export interface GatehousePaths {
  /** @default "/sign-in" */
  signIn: string;
  /** @default "/sign-up" */
  signUp: string;
  /** @default "/account" */
  account: string;
  /** @default "/reset-password" */
  resetPassword: string;
  /** Where a user goes after signing in or up, unless a component is given `redirectURL`. @default "/" */
  afterSignIn: string;
  /** Where a user goes after signing out. @default the sign-in path */
  afterSignOut: string;
}

/** Colour scheme of the components: follow the system, or force one. */
export type Theme = "system" | "light" | "dark";

/** What the provider hands to components and hooks. */
export interface GatehouseContextValue {
  /** The browser client; null only during the first render, before it is created. */
  client: GatehouseClient | null;
  state: AuthState;
  messages: Messages;
  /** The app's name for headings, or null for generic wording. */
  appName: string | null;
  theme: Theme;
  paths: GatehousePaths;
  /** Goes to a URL: a full page load by default, or the app router's navigation. */
  navigate(url: string): void;
}

/** Props of {@link GatehouseProvider}. */
export interface GatehouseProviderProps {
  children?: ReactNode;
  /**
   * Base URL of the Gatehouse API; `""` when the app is served from the same origin or proxies
   * `/v1` to Gatehouse.
   * @default ""
   */
  url?: string;
  /** A client of your own (tests, or one shared with non-React code); `url` is then ignored. */
  client?: GatehouseClient;
  /** Overrides for the message catalogue, merged over English. */
  messages?: MessageOverrides;
  /** The app's name, shown under the sign-in and sign-up headings. */
  appName?: string;
  /** @default "system" */
  theme?: Theme;
  /** Where links and redirects go; each unset path keeps its default. */
  paths?: Partial<GatehousePaths>;
  /**
   * Navigation, for client-side routers.
   * @default (url) => window.location.assign(url)
   */
  navigate?: (url: string) => void;
}

const LOADING: AuthState = { status: "loading" };
const GatehouseContext = createContext<GatehouseContextValue | null>(null);

function defaultNavigate(url: string): void {
  window.location.assign(url);
}

const noClient = {
  subscribe: () => () => {},
  getState: () => LOADING,
};

/**
 * Provides the session to every Gatehouse component and hook below it.
 *
 * @example
 * ```tsx
 * <GatehouseProvider url="https://auth.example.com" appName="Acme" theme="system">
 *   <App />
 * </GatehouseProvider>
 * ```
 */
export function GatehouseProvider(props: GatehouseProviderProps): ReactNode {
  const { children, url = "", client: given, messages: overrides, appName, theme = "system", navigate } = props;
  // Created in an effect, not during render: a render may be thrown away (StrictMode, Suspense),
  // and a client opens a channel and a timer that must be closed by the same effect.
  const [owned, setOwned] = useState<GatehouseClient | null>(null);
  useEffect(() => {
    if (given) return;
    const created = createGatehouseClient({ url });
    setOwned(created);
    return () => {
      created.close();
      setOwned(null);
    };
  }, [given, url]);
  const client = given ?? owned;
  const source = client ?? noClient;
  const state = useSyncExternalStore(source.subscribe, source.getState, () => LOADING);

  const messages = useMemo(() => mergeMessages(overrides), [overrides]);
  const pathsKey = JSON.stringify(props.paths ?? {});
  const paths = useMemo<GatehousePaths>(() => {
    const given = JSON.parse(pathsKey) as Partial<GatehousePaths>;
    const signIn = given.signIn ?? "/sign-in";
    return {
      signIn,
      signUp: given.signUp ?? "/sign-up",
      account: given.account ?? "/account",
      resetPassword: given.resetPassword ?? "/reset-password",
      afterSignIn: given.afterSignIn ?? "/",
      afterSignOut: given.afterSignOut ?? signIn,
    };
  }, [pathsKey]);

  const value = useMemo<GatehouseContextValue>(
    () => ({
      client,
      state,
      messages,
      appName: appName ?? null,
      theme,
      paths,
      navigate: navigate ?? defaultNavigate,
    }),
    [client, state, messages, appName, theme, paths, navigate],
  );
  return <GatehouseContext.Provider value={value}>{children}</GatehouseContext.Provider>;
}

/**
 * Everything the provider holds: client, state, messages, theme, paths. For components of your
 * own; the other hooks cover the usual needs.
 * @throws Error when used outside `<GatehouseProvider>`.
 */
export function useGatehouse(): GatehouseContextValue {
  const value = useContext(GatehouseContext);
  if (!value) throw new Error("Gatehouse hooks and components must be used inside <GatehouseProvider>.");
  return value;
}

/** What {@link useAuth} returns. */
export interface UseAuthResult {
  /** False until the first answer about the session. */
  isLoaded: boolean;
  isSignedIn: boolean;
  userId: string | null;
  sessionId: string | null;
  /** Signs out in every tab. */
  signOut(): Promise<void>;
  /** `fetch` for your API with the session's cookies, refreshing the access token when due. */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}

/**
 * Whether someone is signed in, and the actions that go with it.
 *
 * @example
 * ```tsx
 * const { isLoaded, isSignedIn, signOut } = useAuth();
 * if (isLoaded && isSignedIn) return <button onClick={() => void signOut()}>Sign out</button>;
 * ```
 */
export function useAuth(): UseAuthResult {
  const { client, state } = useGatehouse();
  // Stable across refreshes, so effects that depend on them do not run again for each token.
  const actions = useMemo(
    () => ({
      signOut: () => client?.signOut() ?? Promise.resolve(),
      fetch: (input: RequestInfo | URL, init?: RequestInit) =>
        client ? client.fetch(input, init) : fetch(input, { credentials: "include", ...init }),
    }),
    [client],
  );
  const userId = state.status === "signed-in" ? state.user.id : null;
  const sessionId = state.status === "signed-in" ? state.session.id : null;
  return useMemo(
    () => ({
      isLoaded: state.status !== "loading",
      isSignedIn: state.status === "signed-in",
      userId,
      sessionId,
      ...actions,
    }),
    [state.status, userId, sessionId, actions],
  );
}

/** What {@link useUser} returns. */
export interface UseUserResult {
  isLoaded: boolean;
  isSignedIn: boolean;
  /** The signed-in user, or null. */
  user: User | null;
  /** Reads the user again from the server (after a change made elsewhere). */
  reload(): Promise<void>;
}

/**
 * The signed-in user.
 *
 * @example
 * ```tsx
 * const { user } = useUser();
 * return <p>Hello, {user?.name ?? user?.email}</p>;
 * ```
 */
export function useUser(): UseUserResult {
  const { client, state } = useGatehouse();
  return useMemo(
    () => ({
      isLoaded: state.status !== "loading",
      isSignedIn: state.status === "signed-in",
      user: state.status === "signed-in" ? state.user : null,
      reload: async () => {
        await client?.load();
      },
    }),
    [client, state],
  );
}

/** What {@link useSession} returns. */
export interface UseSessionResult {
  isLoaded: boolean;
  isSignedIn: boolean;
  /** The current session, or null. */
  session: Session | null;
  /** When the access token expires (epoch ms), for `jwt`/`hybrid`; null otherwise. */
  accessTokenExpiresAt: number | null;
}

/**
 * The current session.
 *
 * @example
 * ```tsx
 * const { session } = useSession();
 * return <p>Signed in since {session?.created_at}</p>;
 * ```
 */
export function useSession(): UseSessionResult {
  const { state } = useGatehouse();
  return useMemo(
    () => ({
      isLoaded: state.status !== "loading",
      isSignedIn: state.status === "signed-in",
      session: state.status === "signed-in" ? state.session : null,
      accessTokenExpiresAt: state.status === "signed-in" ? state.accessTokenExpiresAt : null,
    }),
    [state],
  );
}
