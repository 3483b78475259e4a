/**
 * The in-memory {@link PasskeyStore}, mixed into `createMemoryDatabase`. It keeps the SQL
 * stores' rules (a credential id stored once across all users, single-use challenges, counters
 * that only move forward, copies in and out); each method runs without awaiting in between, so
 * it is atomic on Node's single thread. `forgetUser` stands in for the SQL stores' cascades.
 */
import type { PasskeyChallengeRecord, PasskeyRecord, PasskeyStore } from "../../storage/ports.js";

function copyPasskey(passkey: PasskeyRecord): PasskeyRecord {
  return { ...passkey, transports: [...passkey.transports] };
}

/**
 * Creates an empty in-memory {@link PasskeyStore}.
 *
 * @example
 * ```ts
 * const { forgetUser, ...passkeys } = createMemoryPasskeyStore();
 * await passkeys.createPasskey(record);
 * ```
 */
export function createMemoryPasskeyStore(): PasskeyStore & { forgetUser(userId: string): void } {
  const handles = new Map<string, string>();
  const passkeys = new Map<string, PasskeyRecord>();
  const challenges = new Map<string, PasskeyChallengeRecord>();

  return {
    forgetUser(userId) {
      handles.delete(userId);
      for (const [id, passkey] of passkeys) if (passkey.userId === userId) passkeys.delete(id);
      for (const [id, challenge] of challenges) if (challenge.userId === userId) challenges.delete(id);
    },

    async ensurePasskeyUserHandle(userId, candidate) {
      if (!handles.has(userId)) handles.set(userId, candidate);
      return handles.get(userId)!;
    },

    async getPasskeyUserHandle(userId) {
      return handles.get(userId) ?? null;
    },

    async createPasskey(passkey) {
      for (const stored of passkeys.values()) if (stored.credentialId === passkey.credentialId) return false;
      if (passkeys.has(passkey.id)) throw new Error(`A passkey with id ${passkey.id} already exists.`);
      passkeys.set(passkey.id, copyPasskey(passkey));
      return true;
    },

    async getPasskeyByCredentialId(credentialId) {
      for (const passkey of passkeys.values()) if (passkey.credentialId === credentialId) return copyPasskey(passkey);
      return null;
    },

    async listPasskeys(userId) {
      return [...passkeys.values()]
        .filter((passkey) => passkey.userId === userId)
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map(copyPasskey);
    },

    async renamePasskey(userId, id, name) {
      const passkey = passkeys.get(id);
      if (!passkey || passkey.userId !== userId) return null;
      const renamed = { ...passkey, name };
      passkeys.set(id, renamed);
      return copyPasskey(renamed);
    },

    async deletePasskey(userId, id) {
      const passkey = passkeys.get(id);
      if (!passkey || passkey.userId !== userId) return false;
      passkeys.delete(id);
      return true;
    },

    async recordPasskeyUse(id, use) {
      const passkey = passkeys.get(id);
      if (!passkey) return false;
      const forward = use.counter === 0 ? passkey.counter === 0 : passkey.counter < use.counter;
      if (!forward) return false;
      passkeys.set(id, { ...passkey, counter: use.counter, backedUp: use.backedUp, lastUsedAt: use.usedAt });
      return true;
    },

    async createPasskeyChallenge(challenge) {
      for (const stored of challenges.values()) {
        if (stored.challengeHash === challenge.challengeHash)
          throw new Error("A challenge with this hash already exists.");
      }
      if (challenges.has(challenge.id)) throw new Error(`A challenge with id ${challenge.id} already exists.`);
      challenges.set(challenge.id, { ...challenge });
    },

    async consumePasskeyChallenge(match, now) {
      for (const [id, challenge] of challenges) {
        if (
          challenge.challengeHash === match.challengeHash &&
          challenge.purpose === match.purpose &&
          challenge.clientHash === match.clientHash &&
          challenge.sessionId === match.sessionId &&
          challenge.usedAt === null &&
          challenge.expiresAt > now
        ) {
          const used = { ...challenge, usedAt: now };
          challenges.set(id, used);
          return { ...used };
        }
      }
      return null;
    },

    async deleteExpiredPasskeyChallenges(now) {
      let removed = 0;
      for (const [id, challenge] of challenges) {
        if (challenge.expiresAt <= now) {
          challenges.delete(id);
          removed++;
        }
      }
      return removed;
    },
  };
}
