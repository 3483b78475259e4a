/**
 * Who an admin request acts as, for the `actor` of the events it causes.
 */
import type { EventActor } from "../events/bus.js";
import type { AdminCaller } from "../http/route.js";

/** The event actor of an admin route's caller (the secret key's id). */
export function adminActor(admin: AdminCaller | null): EventActor {
  // Admin routes always have a caller (the handler refuses them otherwise); the fallback only
  // keeps a wiring mistake from being recorded as some other actor.
  return { type: "admin", id: admin?.keyId ?? null };
}
