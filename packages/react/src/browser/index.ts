/**
 * `@gatehouse/react/browser`: the framework-free browser client. Use it directly in any app, or
 * through `<GatehouseProvider>` from `@gatehouse/react`, which creates one for you.
 */
export { createGatehouseClient } from "./client.js";
export { GatehouseAPIError } from "./api.js";

export type { AuthState, GatehouseClient, GatehouseClientOptions, SignInResult, SignUpResult } from "./client.js";
export type { User, Session, ErrorCode, FieldProblem } from "./api.js";
export type { SharedStorage, LockManagerLike, ChannelLike } from "./tabs.js";
