/**
 * The smallest valid user for storage tests: no name, no password, unverified, with an email
 * made from the id so ids and addresses never collide.
 */
import type { NewUser } from "../storage/ports.js";

/** A {@link NewUser} with only the id (and optionally the creation time) chosen. */
export function minimalUser(id: string, createdAt: number = Date.now()): NewUser {
  return {
    id,
    email: `${id}@example.com`,
    emailNormalized: `${id}@example.com`,
    name: null,
    passwordHash: null,
    emailVerifiedAt: null,
    createdAt,
  };
}
