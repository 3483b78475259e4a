/**
 * `@gatehouse/core`: the Gatehouse engine. Storage adapters are separate subpath exports
 * (`@gatehouse/core/adapters/sqlite`, `/postgres`, `/redis`, `/memory`), as are the email
 * transports (`/adapters/smtp`, `/adapters/mailbox`, whose `sms` also takes text messages) and the Node webhook sender
 * (`/adapters/node-webhooks`); errors are under `@gatehouse/core/errors`.
 */
export { createGatehouse } from "./gatehouse.js";
export { resolveConfig } from "./config.js";
export { DEFAULTS } from "./config.js";
export { createArgon2idHasher } from "./passwords/hasher.js";
export { OWASP_ARGON2ID } from "./passwords/hasher.js";
export { DEFAULT_ARGON2ID } from "./passwords/hasher.js";
export { checkNewPassword } from "./passwords/policy.js";
export { MIN_PASSWORD_LENGTH } from "./passwords/policy.js";
export { MAX_PASSWORD_LENGTH } from "./passwords/policy.js";
export { createImportAwareHasher } from "./passwords/imported.js";
export { importedHashAlgorithm } from "./passwords/imported.js";
export { IMPORT_SOURCES } from "./user-import/sources.js";
export { silentLogger } from "./lib/logger.js";
export { EMAIL_TEMPLATE_NAMES } from "./email/templates.js";
export { EMAIL_TEMPLATE_VARIABLES } from "./email/templates.js";
export { renderEmailPreview } from "./email/templates.js";
export { VERSION } from "./version.js";
export { EVENT_TYPES } from "./events/bus.js";
export { generateEncryptionKey } from "./lib/encryption.js";
export { parseEncryptionKey } from "./lib/encryption.js";
export { checkWebhookAddress } from "./webhooks/address-policy.js";
export { WebhookSendError } from "./webhooks/sender.js";
export { safeRedirect } from "./http/redirects.js";
export { createTwilioSMSProvider } from "./mfa/sms-provider.js";

export type { Gatehouse, GatehouseAdmin, RequestContext, ReadinessReport } from "./types.js";
export type { ImportedHashAlgorithm } from "./passwords/imported.js";
export type { SecretKeyService, CreatedSecretKey } from "./secret-keys/service.js";
export type { UserAdminService, UserListFilters, NewUserInput, UserUpdateInput } from "./user-admin/service.js";
export type { SecurityEventLog, SecurityEventFilters } from "./security-events/recorder.js";
export type { UserImporter, ImportOptions, ImportSummary, SkippedRow, ExportedUser } from "./user-import/importer.js";
export type { ImportSource, FirebaseHashParameters } from "./user-import/sources.js";
export type { ImportFileFormat } from "./user-import/parse.js";
export type {
  GatehouseConfig,
  ResolvedConfig,
  Observer,
  SignInOutcome,
  Strategy,
  ThrottleLimit,
  WebhooksConfig,
} from "./config.js";
export type { Logger, LogMethod } from "./lib/logger.js";
export type { GatehouseEvent, EventType, EventActor, EventListener } from "./events/bus.js";
export type { PasswordHasher, Argon2Parameters, Argon2Runner } from "./passwords/hasher.js";
export type { EmailTransport, EmailMessage } from "./email/transport.js";
export type {
  EmailTemplateName,
  EmailTemplate,
  EmailTemplateOverrides,
  EmailPreviewOptions,
  RenderedEmail,
} from "./email/templates.js";
export type { SignInMethod } from "./accounts/service.js";
export type { SMSProvider, SMSMessage, TwilioSMSProviderOptions } from "./mfa/sms-provider.js";
export type { AddressVerdict } from "./webhooks/address-policy.js";
export type { WebhookSender, WebhookRequest, WebhookResponse, WebhookSendFailure } from "./webhooks/sender.js";
export type {
  Database,
  UserStore,
  UserRecord,
  NewUser,
  SessionStore,
  SessionRecord,
  SecretKeyStore,
  SecretKeyRecord,
  EmailTokenStore,
  EmailTokenRecord,
  EmailTokenPurpose,
  KnownDeviceStore,
  DeviceRecognition,
  NewSecretKey,
  UserAdminStore,
  UserListQuery,
  UserChanges,
  SecurityEventStore,
  SecurityEventRecord,
  SecurityEventQuery,
  RateLimiter,
  RateLimiterFactory,
  RateLimiterOptions,
  RevocationLog,
  RevocationEntry,
  RevocationLogEntry,
  UserChangeFeed,
  UserChangeListener,
  SigningKeyRecord,
  SigningKeyStore,
  WebhookStore,
  WebhookEndpointRecord,
  WebhookEndpointChanges,
  WebhookDeliveryRecord,
  WebhookDeliveryStatus,
  NewWebhookDelivery,
  ClaimedWebhookDelivery,
  WebhookAttemptRecord,
  WebhookAttemptOutcome,
} from "./storage/ports.js";
export type { SigningAlgorithm } from "./keys/service.js";
