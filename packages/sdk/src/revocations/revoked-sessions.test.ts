// The revoked-session set: membership until `until`, then forgotten.
import { describe, expect, it } from "vitest";
import { createRevokedSessions } from "./revoked-sessions.js";

describe("createRevokedSessions", () => {
  it("holds a session until its until, then forgets it on lookup", () => {
    const revoked = createRevokedSessions();
    revoked.add("sess_a", 1000);
    expect(revoked.has("sess_a", 999)).toBe(true);
    expect(revoked.has("sess_b", 999)).toBe(false);
    expect(revoked.has("sess_a", 1000)).toBe(false);
    expect(revoked.size).toBe(0);
  });

  it("keeps the later until when a session is revoked twice", () => {
    const revoked = createRevokedSessions();
    revoked.add("sess_a", 2000);
    revoked.add("sess_a", 1000);
    expect(revoked.has("sess_a", 1500)).toBe(true);
  });

  it("prunes every entry past its until", () => {
    const revoked = createRevokedSessions();
    revoked.add("sess_a", 1000);
    revoked.add("sess_b", 3000);
    expect(revoked.prune(2000)).toBe(1);
    expect(revoked.size).toBe(1);
    expect(revoked.has("sess_b", 2000)).toBe(true);
  });
});
