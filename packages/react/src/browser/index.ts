/**
 * `@gatehouse/react/browser`: the framework-free browser client. Use it directly in any app, or
 * through `<GatehouseProvider>` from `@gatehouse/react`, which creates one for you.
 */
export { createGatehouseClient } from "./client.js";
export { GatehouseAPIError } from "./api.js";

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
} from "./client.js";
export type {
  User,
  Session,
  ErrorCode,
  FieldProblem,
  SecondFactor,
  EnrollableFactor,
  MFAStatus,
  TOTPEnrollment,
  SMSCodeSent,
  Passkey,
} from "./api.js";
export type { WebAuthnCeremonies } from "./passkeys.js";
export type { SharedStorage, LockManagerLike, ChannelLike } from "./tabs.js";
