/**
 * Peer: Hono + jose, EdDSA (Ed25519), verifying the signature and the RFC 9068 claims on every
 * request: what an app gets by verifying Gatehouse-shaped tokens itself, without a cache. The
 * server makes its own key pair and token at start and announces the token.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { SignJWT, generateKeyPair, jwtVerify } from "jose";
import { announceReady, exitOnSignal } from "../lib/child.js";

const issuer = "http://127.0.0.1";
const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
const token = await new SignJWT({ sid: "sess_josejosejosejosejosejo" })
  .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: "bench" })
  .setIssuer(issuer)
  .setAudience(issuer)
  .setSubject("user_josejosejosejosejosejo")
  .setIssuedAt()
  .setExpirationTime("2h")
  .setJti("bench")
  .sign(privateKey);

const app = new Hono<{ Variables: { userId: string } }>();
app.use("/api/*", async (c, next) => {
  const match = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "");
  if (!match) return c.json({ code: "unauthenticated" }, 401);
  try {
    const { payload } = await jwtVerify(match[1]!, publicKey, {
      algorithms: ["EdDSA"],
      issuer,
      audience: issuer,
      typ: "at+jwt",
    });
    c.set("userId", payload.sub!);
  } catch {
    return c.json({ code: "unauthenticated" }, 401);
  }
  await next();
});
app.get("/api/me", (c) => c.json({ userId: c.get("userId") }));

const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  announceReady({ port: info.port, headers: { authorization: `Bearer ${token}` } });
});
exitOnSignal(() => new Promise<void>((resolve) => server.close(() => resolve())));
