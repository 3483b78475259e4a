// Writes the import fixtures in src/user-import/fixtures/: one small export per source, with
// password hashes made by the reference implementations (the native `bcrypt` package, the
// `argon2` package on the reference C code, Node's OpenSSL scrypt, PBKDF2 and AES), never by
// Gatehouse's own verifiers. Firebase's first user is the published test vector of
// firebase/scrypt. Run: node packages/core/scripts/generate-import-fixtures.mjs
import { createCipheriv, pbkdf2Sync, randomBytes, scryptSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import argon2 from "argon2";
import bcrypt from "bcrypt";

const out = new URL("../src/user-import/fixtures/", import.meta.url);
const write = (name, text) => writeFileSync(new URL(name, out), text);
const b64 = (bytes) => Buffer.from(bytes).toString("base64").replace(/=+$/, "");
const passwords = {};
const pw = (email) => (passwords[email] = `fixture ${email.split("@")[0]} passphrase`);
// RFC 4180: quote a field holding a comma, quote or line break (argon2 hashes hold commas).
const csvField = (value) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
const csvRow = (row) => row.map(csvField).join(",");

// Clerk: dashboard CSV export.
const clerkRows = [
  [
    "user_2clerkA",
    "Ada",
    "Lovelace",
    "",
    "ada@clerk.example",
    "",
    "ada@clerk.example",
    "",
    "",
    "",
    "",
    bcrypt.hashSync(pw("ada@clerk.example"), 10),
    "bcrypt",
  ],
  [
    "user_2clerkB",
    "Grace",
    "",
    "grace",
    "grace@clerk.example",
    "",
    "",
    "grace@clerk.example",
    "",
    "",
    "",
    await argon2.hash(pw("grace@clerk.example"), {
      type: argon2.argon2i,
      memoryCost: 4096,
      timeCost: 3,
      parallelism: 1,
    }),
    "argon2i",
  ],
  [
    "user_2clerkC",
    "",
    "",
    "md5user",
    "md5@clerk.example",
    "",
    "md5@clerk.example",
    "",
    "",
    "",
    "",
    "5f4dcc3b5aa765d61d8327deb882cf99",
    "md5",
  ],
  [
    "user_2clerkD",
    "Totp",
    "User",
    "",
    "totp@clerk.example",
    "",
    "totp@clerk.example",
    "",
    "",
    "",
    "JBSWY3DPEHPK3PXP",
    "",
    "",
  ],
];
write(
  "clerk.csv",
  "id,first_name,last_name,username,primary_email_address,primary_phone_number,verified_email_addresses,unverified_email_addresses,verified_phone_numbers,unverified_phone_numbers,totp_secret,password_digest,password_hasher\n" +
    clerkRows.map(csvRow).join("\n") +
    "\n",
);

// Auth0: user export job (JSON Lines) merged with the password hash export.
const auth0 = [
  {
    user_id: "auth0|a1",
    email: "alan@auth0.example",
    email_verified: true,
    name: "Alan Turing",
    created_at: "2021-03-04T05:06:07.000Z",
    user_metadata: { theme: "dark" },
    app_metadata: { plan: "pro" },
    passwordHash: bcrypt.hashSync(pw("alan@auth0.example"), 10),
  },
  {
    user_id: "auth0|a2",
    email: "blocked@auth0.example",
    email_verified: false,
    name: "Blocked",
    created_at: "2022-01-01T00:00:00.000Z",
    blocked: true,
    passwordHash: bcrypt.hashSync(pw("blocked@auth0.example"), 10),
  },
  {
    email: "custom@auth0.example",
    email_verified: true,
    custom_password_hash: { algorithm: "bcrypt", hash: { value: bcrypt.hashSync(pw("custom@auth0.example"), 10) } },
  },
];
write("auth0.jsonl", auth0.map((row) => JSON.stringify(row)).join("\n") + "\n{not json\n");

// Firebase: `firebase auth:export users.json --format=json`, and the project's hash parameters.
const firebaseParameters = {
  signerKey: "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
  saltSeparator: "Bw==",
  rounds: 8,
  memCost: 14,
};
function firebaseHash(password, salt) {
  const key = scryptSync(
    Buffer.from(password),
    Buffer.concat([salt, Buffer.from(firebaseParameters.saltSeparator, "base64")]),
    32,
    {
      N: 2 ** firebaseParameters.memCost,
      r: firebaseParameters.rounds,
      p: 1,
      maxmem: 64 * 1024 * 1024,
    },
  );
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.from(firebaseParameters.signerKey, "base64")), cipher.final()]).toString(
    "base64",
  );
}
passwords["vector@firebase.example"] = "user1password";
const secondSalt = randomBytes(12);
const firebase = {
  users: [
    {
      localId: "fbA",
      email: "vector@firebase.example",
      emailVerified: true,
      passwordHash: "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
      salt: "42xEC+ixf3L2lw==",
      displayName: "Published Vector",
      createdAt: "1612345678901",
      providerUserInfo: [],
    },
    {
      localId: "fbB",
      email: "linus@firebase.example",
      emailVerified: false,
      passwordHash: firebaseHash(pw("linus@firebase.example"), secondSalt),
      salt: secondSalt.toString("base64"),
      displayName: "Linus",
      createdAt: "1612345678902",
      customAttributes: '{"role":"editor"}',
      providerUserInfo: [],
    },
    {
      localId: "fbC",
      email: "disabled@firebase.example",
      emailVerified: true,
      disabled: true,
      createdAt: "1612345678903",
      providerUserInfo: [],
    },
  ],
};
write("firebase.json", JSON.stringify(firebase, null, 2) + "\n");
write("firebase-hash-parameters.json", JSON.stringify(firebaseParameters, null, 2) + "\n");

// Supabase: `auth.users` as CSV (bcrypt $2a$, as Supabase's GoTrue writes it).
const future = "2999-01-01 00:00:00+00";
const supabase = [
  [
    "b6f1f5a4-0000-4000-8000-000000000001",
    "margaret@supabase.example",
    bcrypt.hashSync(pw("margaret@supabase.example"), bcrypt.genSaltSync(10, "a")),
    "2023-05-06 07:08:09.123+00",
    '{"full_name": "Margaret Hamilton"}',
    '{"provider": "email", "providers": ["email"]}',
    "2023-05-06 07:08:09.123+00",
    "",
  ],
  [
    "b6f1f5a4-0000-4000-8000-000000000002",
    "banned@supabase.example",
    bcrypt.hashSync(pw("banned@supabase.example"), bcrypt.genSaltSync(10, "a")),
    "",
    "{}",
    "{}",
    "2023-06-01 00:00:00+00",
    future,
  ],
];
write(
  "supabase.csv",
  "id,email,encrypted_password,email_confirmed_at,raw_user_meta_data,raw_app_meta_data,created_at,banned_until\n" +
    supabase.map(csvRow).join("\n") +
    '\nb6f1f5a4-0000-4000-8000-000000000003,broken@supabase.example,"unterminated\n',
);

// better-auth: `user` joined with its credential `account` (scrypt N=16384, r=16, p=1, 64 bytes; hex salt used as text).
function betterAuthHash(password) {
  const salt = randomBytes(16).toString("hex");
  const key = scryptSync(password.normalize("NFKC"), salt, 64, { N: 16384, r: 16, p: 1, maxmem: 128 * 16384 * 16 * 2 });
  return `${salt}:${key.toString("hex")}`;
}
const betterAuth = [
  {
    id: "ba_1",
    name: "Katherine Johnson",
    email: "katherine@better-auth.example",
    emailVerified: true,
    createdAt: "2024-02-03T04:05:06.000Z",
    password: betterAuthHash(pw("katherine@better-auth.example")),
  },
  {
    id: "ba_2",
    name: "No Password",
    email: "social@better-auth.example",
    emailVerified: true,
    createdAt: "2024-02-03T04:05:07.000Z",
    password: null,
  },
  { id: "ba_3", name: "Bad Email", email: "not-an-address", emailVerified: false, password: null },
];
write("better-auth.jsonl", betterAuth.map((row) => JSON.stringify(row)).join("\n") + "\n");

// Gatehouse's own format, with every other hash family: scrypt, PBKDF2 (SHA-1/256/512), argon2d, bcrypt $2y$.
function pbkdf2(digest, password, iterations) {
  const salt = randomBytes(16);
  const key = pbkdf2Sync(password, salt, iterations, digest === "sha512" ? 64 : 32, digest);
  return `$pbkdf2-${digest}$i=${iterations}$${b64(salt)}$${b64(key)}`;
}
function scrypt(password) {
  const salt = randomBytes(16);
  return `$scrypt$ln=15,r=8,p=1$${b64(salt)}$${b64(scryptSync(password, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }))}`;
}
const gatehouse = [
  ["scrypt@gatehouse.example", (p) => scrypt(p)],
  ["pbkdf2-sha1@gatehouse.example", (p) => pbkdf2("sha1", p, 100_000)],
  ["pbkdf2-sha256@gatehouse.example", (p) => pbkdf2("sha256", p, 600_000)],
  ["pbkdf2-sha512@gatehouse.example", (p) => pbkdf2("sha512", p, 210_000)],
  [
    "argon2d@gatehouse.example",
    (p) => argon2.hash(p, { type: argon2.argon2d, memoryCost: 8192, timeCost: 2, parallelism: 1 }),
  ],
  ["bcrypt-2y@gatehouse.example", (p) => bcrypt.hashSync(p, 10).replace(/^\$2b\$/, "$2y$")],
];
const gatehouseLines = [];
for (const [index, [email, make]] of gatehouse.entries()) {
  gatehouseLines.push(
    JSON.stringify({
      id: `user_fixture${index}`,
      email,
      email_verified: index % 2 === 0,
      email_verified_at: index % 2 === 0 ? "2025-01-01T00:00:00.000Z" : null,
      name: `Fixture ${index}`,
      created_at: `2025-01-0${index + 1}T00:00:00.000Z`,
      updated_at: `2025-01-0${index + 1}T00:00:00.000Z`,
      banned_at: null,
      public_metadata: { index },
      private_metadata: { source: "fixture" },
      password_hash: await make(pw(email)),
      password_algorithm: email.split("@")[0].replace("bcrypt-2y", "bcrypt"),
    }),
  );
}
write("gatehouse.jsonl", gatehouseLines.join("\n") + "\n");

write("passwords.json", JSON.stringify(passwords, null, 2) + "\n");
console.log(`wrote fixtures for ${Object.keys(passwords).length} users with passwords`);
