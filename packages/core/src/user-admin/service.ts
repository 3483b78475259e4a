/**
 * Managing users from code: list, read, create, change, ban, unban and delete them, and see
 * and end their sessions. Every session ends through `SessionService` (so every revocation is
 * announced and reaches the revocation feed), and every change is an event naming its actor.
 */
import { normalizeEmail } from "../accounts/schema.js";
import { decodeCursor, encodeCursor } from "../admin/cursor.js";
import { EmailTakenError, NotFoundError } from "../errors/index.js";
import type { EventActor, EventBus } from "../events/bus.js";
import { randomId } from "../lib/encoding.js";
import type { PasswordHasher } from "../passwords/hasher.js";
import { checkNewPassword } from "../passwords/policy.js";
import type { SessionService } from "../sessions/service.js";
import type { SessionRecord, UserAdminStore, UserChanges, UserRecord, UserStore } from "../storage/ports.js";

/** Default page size of the user list. */
export const DEFAULT_PAGE_SIZE = 20;

/** Filters of {@link UserAdminService.list}. */
export interface UserListFilters {
  limit?: number;
  cursor?: string;
  search?: string;
  banned?: boolean;
  verified?: boolean;
  createdFrom?: number;
  createdBefore?: number;
}

/** A user to create. */
export interface NewUserInput {
  email: string;
  /** Checked against the password policy; omit for a password-less account. */
  password?: string;
  name?: string;
  emailVerified?: boolean;
  publicMetadata?: Record<string, unknown>;
  privateMetadata?: Record<string, unknown>;
}

/** Changes to a user; absent members stay as they are. */
export interface UserUpdateInput {
  email?: string;
  name?: string | null;
  emailVerified?: boolean;
  publicMetadata?: Record<string, unknown>;
  privateMetadata?: Record<string, unknown>;
}

/** The users admin operations. Every method taking an `actor` records it on its events. */
export interface UserAdminService {
  /** @throws InvalidCursorError for a cursor this list did not hand out. */
  list(filters: UserListFilters): Promise<{ users: UserRecord[]; nextCursor: string | null }>;
  /** @throws NotFoundError */
  get(id: string): Promise<UserRecord>;
  /** @throws EmailTakenError, WeakPasswordError */
  create(input: NewUserInput, actor: EventActor): Promise<UserRecord>;
  /** @throws NotFoundError, EmailTakenError */
  update(id: string, input: UserUpdateInput, actor: EventActor): Promise<UserRecord>;
  /** Bans the user and ends every session at once. Banning a banned user changes nothing. */
  ban(id: string, actor: EventActor): Promise<UserRecord>;
  unban(id: string, actor: EventActor): Promise<UserRecord>;
  /** Ends every session, then removes the user and their credentials. */
  delete(id: string, actor: EventActor): Promise<void>;
  /** The user's live sessions, most recently active first. */
  listSessions(userId: string): Promise<SessionRecord[]>;
  /** @throws NotFoundError when the session is not one of the user's live sessions. */
  revokeSession(userId: string, sessionId: string, actor: EventActor): Promise<void>;
  /** Ends every session of the user. */
  signOutEverywhere(userId: string, actor: EventActor): Promise<void>;
}

/** Options of {@link createUserAdminService}. */
export interface UserAdminServiceOptions {
  users: UserStore & UserAdminStore;
  sessions: SessionService;
  hasher: PasswordHasher;
  events: EventBus;
  clock: () => number;
}

/**
 * Creates the users admin service.
 *
 * @example
 * ```ts
 * const admin = createUserAdminService({ users: database, sessions, hasher, events, clock: Date.now });
 * await admin.ban("user_…", { type: "admin", id: "sk_…" });
 * ```
 */
export function createUserAdminService(options: UserAdminServiceOptions): UserAdminService {
  const { users, sessions, hasher, events, clock } = options;

  async function get(id: string): Promise<UserRecord> {
    const user = await users.getUserById(id);
    if (!user) throw new NotFoundError("No such user.");
    return user;
  }

  async function update(
    id: string,
    changes: UserChanges,
    actor: EventActor,
    event: "user.updated" | "user.banned" | "user.unbanned",
  ): Promise<UserRecord> {
    const updated = await users.updateUser(id, changes, clock());
    if (!updated) throw new NotFoundError("No such user.");
    // Field names only: the values (addresses, metadata) stay out of the event log.
    const fields = Object.keys(changes).filter((field) => field !== "emailNormalized");
    events.emit({ type: event, userId: id, actor, ...(event === "user.updated" ? { data: { fields } } : {}) });
    return updated;
  }

  return {
    async list(filters) {
      const limit = filters.limit ?? DEFAULT_PAGE_SIZE;
      const after =
        filters.cursor !== undefined
          ? (([createdAt, id]) => ({ createdAt, id }))(
              decodeCursor("users", filters.cursor, ["number", "string"] as const),
            )
          : undefined;
      // One more than asked tells whether there is a next page without a count query.
      const page = await users.listUsers({
        limit: limit + 1,
        ...(after ? { after } : {}),
        ...(filters.search !== undefined ? { search: filters.search } : {}),
        ...(filters.banned !== undefined ? { banned: filters.banned } : {}),
        ...(filters.verified !== undefined ? { verified: filters.verified } : {}),
        ...(filters.createdFrom !== undefined ? { createdFrom: filters.createdFrom } : {}),
        ...(filters.createdBefore !== undefined ? { createdBefore: filters.createdBefore } : {}),
      });
      const found = page.slice(0, limit);
      const last = found[found.length - 1];
      const nextCursor = page.length > limit && last ? encodeCursor("users", [last.createdAt, last.id]) : null;
      return { users: found, nextCursor };
    },

    get,

    async create(input, actor) {
      const password = input.password === undefined ? null : checkNewPassword(input.password);
      const emailNormalized = normalizeEmail(input.email);
      if (await users.getUserByEmail(emailNormalized)) throw new EmailTakenError();
      const now = clock();
      const user = await users.createUser({
        id: randomId("user"),
        email: input.email,
        emailNormalized,
        name: input.name ?? null,
        passwordHash: password === null ? null : await hasher.hash(password),
        emailVerifiedAt: input.emailVerified ? now : null,
        createdAt: now,
        publicMetadata: input.publicMetadata ?? {},
        privateMetadata: input.privateMetadata ?? {},
      });
      events.emit({ type: "user.created", userId: user.id, actor, data: { via: "admin" } });
      return user;
    },

    async update(id, input, actor) {
      const current = await get(id);
      const changes: UserChanges = {};
      if (input.email !== undefined && input.email !== current.email) {
        changes.email = input.email;
        changes.emailNormalized = normalizeEmail(input.email);
        // A new address is not verified just because the old one was.
        if (changes.emailNormalized !== current.emailNormalized) changes.emailVerifiedAt = null;
      }
      if (input.name !== undefined) changes.name = input.name;
      if (input.emailVerified !== undefined) {
        const keepsAddress = changes.email === undefined;
        changes.emailVerifiedAt = input.emailVerified
          ? ((keepsAddress ? current.emailVerifiedAt : null) ?? clock())
          : null;
      }
      if (input.publicMetadata !== undefined) changes.publicMetadata = input.publicMetadata;
      if (input.privateMetadata !== undefined) changes.privateMetadata = input.privateMetadata;
      return update(id, changes, actor, "user.updated");
    },

    async ban(id, actor) {
      const current = await get(id);
      const banned =
        current.bannedAt === null ? await update(id, { bannedAt: clock() }, actor, "user.banned") : current;
      // Also when already banned: a session that slipped in (a sign-in racing the ban) ends too.
      await sessions.revokeAllForUser(id, "banned", { actor });
      return banned;
    },

    async unban(id, actor) {
      const current = await get(id);
      if (current.bannedAt === null) return current;
      return update(id, { bannedAt: null }, actor, "user.unbanned");
    },

    async delete(id, actor) {
      await get(id);
      await sessions.revokeAllForUser(id, "deleted", { actor });
      if (!(await users.deleteUser(id))) throw new NotFoundError("No such user.");
      events.emit({ type: "user.deleted", userId: id, actor });
    },

    async listSessions(userId) {
      await get(userId);
      return sessions.listLive(userId);
    },

    async revokeSession(userId, sessionId, actor) {
      const target = (await sessions.listLive(userId)).find((session) => session.id === sessionId);
      if (!target) throw new NotFoundError("No such session for this user.");
      await sessions.revoke(target, "admin_revoked", { actor });
    },

    async signOutEverywhere(userId, actor) {
      await get(userId);
      await sessions.revokeAllForUser(userId, "signed_out_everywhere", { actor });
    },
  };
}
