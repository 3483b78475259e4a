/**
 * Every string the components show, in one catalogue, so an app can translate or reword them
 * by passing `messages` to `<GatehouseProvider>`: a partial catalogue, merged over English.
 * Placeholders are written `{name}` and filled in by {@link formatMessage}; values are plain
 * text (React escapes them), never HTML.
 */

/** The English catalogue; its shape is the catalogue's type. */
export const defaultMessages = {
  common: {
    email: "Email",
    password: "Password",
    name: "Name",
    optional: "optional",
    code: "Code",
    continue: "Continue",
    cancel: "Cancel",
    save: "Save",
    back: "Back",
    or: "or",
    loading: "Loading…",
    working: "Working…",
    showPassword: "Show",
    hidePassword: "Hide",
    securedBy: "Secured by Gatehouse",
  },
  signIn: {
    title: "Sign in",
    subtitle: "Welcome back. Sign in to continue to {appName}.",
    subtitleGeneric: "Welcome back. Sign in to continue.",
    submit: "Sign in",
    forgotPassword: "Forgot password?",
    noAccount: "No account yet?",
    signUpLink: "Create one",
    magicLink: "Email me a sign-in link",
    emailCode: "Email me a code",
    usePassword: "Sign in with a password instead",
    emailRequiredFirst: "Enter your email first.",
    magicLinkSentTitle: "Check your email",
    magicLinkSent: "If an account exists for {email}, a sign-in link is on its way. It works once, for 15 minutes.",
    codeTitle: "Enter the code",
    codeSent: "If an account exists for {email}, we emailed it a 6-digit code. It works for 10 minutes.",
    codeSubmit: "Sign in",
    resendCode: "Send a new code",
    secondFactorTitle: "Two-step verification",
    secondFactorPrompt: "Enter the code from your authenticator app, or one of your backup codes.",
    secondFactorSubmit: "Verify",
    useBackupCode: "Use a backup code instead",
    signedInAs: "You are signed in as {email}.",
    continueTo: "Continue",
    signOutInstead: "Sign in with another account",
  },
  signUp: {
    title: "Create your account",
    subtitle: "Get started with {appName}.",
    subtitleGeneric: "Get started in a minute.",
    submit: "Create account",
    passwordHint: "At least 8 characters. A long passphrase is best.",
    haveAccount: "Already have an account?",
    signInLink: "Sign in",
    verifyTitle: "Verify your email",
    verifySent: "We sent a verification link to {email}. Open it to finish creating your account.",
  },
  resetPassword: {
    title: "Reset your password",
    subtitle: "Enter the email address of your account and we will send you a link to choose a new password.",
    submit: "Send the link",
    sentTitle: "Check your email",
    sent: "If an account exists for {email}, a link to reset its password is on its way. It works for 1 hour.",
    newPasswordTitle: "Choose a new password",
    newPassword: "New password",
    confirmSubmit: "Set the new password",
    doneTitle: "Password changed",
    done: "Your password was changed and you were signed out everywhere. Sign in with the new password.",
    backToSignIn: "Back to sign in",
  },
  verifyEmail: {
    title: "Verify your email",
    verifying: "Verifying your email address…",
    verified: "Your email address {email} is verified.",
    missingToken: "This link is incomplete. Open the link from the email again.",
    codePrompt: "Enter the 6-digit code we emailed to {email}.",
    codeSubmit: "Verify",
    resend: "Email me a new code",
    resent: "A new link and code are on their way.",
    continue: "Continue",
  },
  userButton: {
    open: "Open the account menu",
    manageAccount: "Manage account",
    signOut: "Sign out",
  },
  userProfile: {
    title: "Account",
    subtitle: "Manage your details, your password and where you are signed in.",
    profileSection: "Profile",
    noName: "No name given",
    memberSince: "Member since {date}",
    emailSection: "Email address",
    verified: "Verified",
    unverified: "Not verified",
    sendVerification: "Send a verification email",
    verificationSent: "A verification link and code are on their way to {email}.",
    verificationCode: "Verification code",
    verifyCode: "Verify",
    emailVerified: "Your email address is verified.",
    changeEmail: "Change email address",
    newEmail: "New email address",
    currentPassword: "Current password",
    currentPasswordHint: "Needed unless you signed in within the last 10 minutes.",
    changeEmailSubmit: "Send a verification link",
    changeEmailSent: "Open the link we sent to {email} to finish the change. Until then, your address stays the same.",
    passwordSection: "Password",
    changePassword: "Change password",
    newPassword: "New password",
    changePasswordSubmit: "Change password",
    passwordChanged: "Your password was changed. Every other session was signed out.",
    sessionsSection: "Active sessions",
    sessionsIntro: "Devices where your account is signed in. Sign out any you do not recognise.",
    thisDevice: "This device",
    lastActive: "Last active {time}",
    signedInAt: "Signed in {time}",
    unknownPlace: "Unknown location",
    unknownDevice: "Unknown device",
    deviceOn: "{browser} on {os}",
    revoke: "Sign out",
    revokeLabel: "Sign out the session on {device}",
    revoked: "The session on {device} was signed out.",
    noOtherSessions: "No other sessions.",
    signOut: "Sign out",
    justNow: "just now",
  },
  protect: {
    signInRequired: "Sign in to see this page.",
    signInLink: "Sign in",
  },
  errors: {
    invalid_credentials: "The email or password is incorrect.",
    unauthenticated: "Your session has ended. Sign in again.",
    origin_forbidden: "This request came from a page that is not allowed to make it.",
    email_not_verified: "Verify your email address first: we sent you a new link.",
    reauthentication_required: "Enter your current password to make this change.",
    email_taken: "An account with this email already exists. Sign in instead.",
    email_already_verified: "Your email address is already verified.",
    validation_failed: "Check the highlighted fields.",
    password_too_short: "The password is too short: use at least 8 characters.",
    password_too_long: "The password is too long.",
    password_too_common: "This password is too common. Choose one that is harder to guess.",
    invalid_token: "This link does not work any more: it was used, replaced by a newer one, or it expired.",
    invalid_code: "The code is wrong or has expired.",
    invalid_redirect_url: "The page to return to is not allowed.",
    rate_limited: "Too many attempts. Try again in {seconds} seconds.",
    rate_limited_soon: "Too many attempts. Try again shortly.",
    not_found: "That no longer exists.",
    network_error: "Could not reach the server. Check your connection and try again.",
    unknown: "Something went wrong. Try again.",
    email_required: "Enter your email address.",
    email_invalid: "Enter a valid email address, like name@example.com.",
    password_required: "Enter your password.",
    code_invalid: "Enter the 6-digit code.",
  },
  time: {
    secondsAgo: "just now",
    minutesAgo: "{count} min ago",
    hoursAgo: "{count} h ago",
    daysAgo: "{count} d ago",
  },
} as const;

type Widen<T> = { -readonly [K in keyof T]: T[K] extends string ? string : Widen<T[K]> };

/** The catalogue's shape: every message, by section. */
export type Messages = Widen<typeof defaultMessages>;

/** A partial catalogue: any section, any message. */
export type MessageOverrides = { [Section in keyof Messages]?: Partial<Messages[Section]> };

/**
 * The catalogue with `overrides` laid over English.
 *
 * @example
 * ```ts
 * const messages = mergeMessages({ signIn: { title: "Connexion" } });
 * ```
 */
export function mergeMessages(overrides: MessageOverrides = {}): Messages {
  const merged = {} as Record<string, Record<string, string>>;
  for (const [section, values] of Object.entries(defaultMessages)) {
    merged[section] = { ...values, ...(overrides as Record<string, Record<string, string> | undefined>)[section] };
  }
  return merged as unknown as Messages;
}

/**
 * Fills `{name}` placeholders from `values`; an unknown placeholder stays as written.
 *
 * @example
 * ```ts
 * formatMessage("Sign in to {appName}", { appName: "Acme" }); // "Sign in to Acme"
 * ```
 */
export function formatMessage(template: string, values: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) =>
    name in values ? String(values[name]) : placeholder,
  );
}
