/**
 * `@gatehouse/react`: drop-in Gatehouse components and hooks. Wrap the app in
 * `<GatehouseProvider>`, import `@gatehouse/react/styles.css` once, and use the components.
 * The framework-free browser client is `@gatehouse/react/browser`.
 */
export { GatehouseProvider } from "./provider/context.js";
export { useGatehouse } from "./provider/context.js";
export { useAuth } from "./provider/context.js";
export { useUser } from "./provider/context.js";
export { useSession } from "./provider/context.js";
export { SignIn } from "./sign-in/index.js";
export { SignUp } from "./sign-up/index.js";
export { ResetPassword } from "./password-reset/index.js";
export { VerifyEmail } from "./email-verification/index.js";
export { UserButton } from "./user-button/index.js";
export { UserProfile } from "./user-profile/index.js";
export { SecondFactorSettings } from "./mfa/second-factor-settings.js";
export { PasskeySettings } from "./mfa/passkey-settings.js";
export { BackupCodes } from "./mfa/backup-codes.js";
export { SignedIn } from "./control/index.js";
export { SignedOut } from "./control/index.js";
export { Protect } from "./control/index.js";
export { defaultMessages } from "./messages/index.js";
export { mergeMessages } from "./messages/index.js";
export { formatMessage } from "./messages/index.js";
export { createGatehouseClient } from "./browser/client.js";
export { GatehouseAPIError } from "./browser/api.js";

export type {
  GatehouseProviderProps,
  GatehouseContextValue,
  GatehousePaths,
  Theme,
  UseAuthResult,
  UseUserResult,
  UseSessionResult,
} from "./provider/context.js";
export type { SignInProps, SignInMethod, SecondFactorStepProps } from "./sign-in/index.js";
export type { SignUpProps } from "./sign-up/index.js";
export type { ResetPasswordProps } from "./password-reset/index.js";
export type { VerifyEmailProps } from "./email-verification/index.js";
export type { UserButtonProps } from "./user-button/index.js";
export type { UserProfileProps } from "./user-profile/index.js";
export type { SecondFactorSettingsProps } from "./mfa/second-factor-settings.js";
export type { PasskeySettingsProps } from "./mfa/passkey-settings.js";
export type { BackupCodesProps } from "./mfa/backup-codes.js";
export type { ProtectProps } from "./control/index.js";
export type { Messages, MessageOverrides } from "./messages/index.js";
export type {
  AuthState,
  GatehouseClient,
  GatehouseClientOptions,
  SignInResult,
  SignInComplete,
  SecondFactorChallenge,
  SecondFactorEnrollmentChallenge,
  EnrolledSignInResult,
  SignUpResult,
} from "./browser/client.js";
export type {
  User,
  Session,
  ErrorCode,
  SecondFactor,
  EnrollableFactor,
  MFAStatus,
  TOTPEnrollment,
  SMSCodeSent,
  Passkey,
} from "./browser/api.js";
