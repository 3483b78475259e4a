/**
 * The development mailbox: messages kept as owner-only files, listed newest first with their
 * links, old ones pruned, and ids from URLs never reaching the file system unchecked.
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmailMessage } from "../../email/transport.js";
import { createFileMailbox, type StoredEmail } from "./index.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gatehouse-mailbox-"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const message = (subject: string): EmailMessage => ({
  to: "ada@example.com",
  from: "no-reply@localhost",
  subject,
  text: `Open https://auth.example.com/v1/sign-in/magic-link/verify?token=abc_${subject} or http://localhost:4000/x.\nThanks`,
  html: "<p>hi</p>",
  template: "magic-link",
});

describe("createFileMailbox", () => {
  it("keeps each message as an owner-only file in an owner-only directory, and reports it", async () => {
    const directory = join(root, "a", "mailbox");
    const seen: StoredEmail[] = [];
    const mailbox = createFileMailbox({ directory, onMessage: (stored) => void seen.push(stored) });
    await mailbox.send(message("one"));
    expect(((await stat(directory)).mode & 0o777).toString(8)).toBe("700");
    const [file] = await readdir(directory);
    expect(((await stat(join(directory, file!))).mode & 0o777).toString(8)).toBe("600");
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ subject: "one", to: "ada@example.com", template: "magic-link" });
    expect(seen[0]!.links).toEqual([
      "https://auth.example.com/v1/sign-in/magic-link/verify?token=abc_one",
      "http://localhost:4000/x.",
    ]);
  });

  it("lists newest first, finds by id, prunes beyond its limit and clears", async () => {
    const mailbox = createFileMailbox({ directory: join(root, "b"), limit: 3 });
    for (const subject of ["1", "2", "3", "4", "5"]) await mailbox.send(message(subject));
    const listed = await mailbox.list();
    expect(listed.map((each) => each.subject)).toEqual(["5", "4", "3"]);
    expect(await mailbox.get(listed[1]!.id)).toStrictEqual(listed[1]);
    await mailbox.clear();
    expect(await mailbox.list()).toEqual([]);
  });

  it.each(["../../etc/passwd", "..", "", "123-abc", `${"1".repeat(15)}-zzzzzzzz`])(
    "answers null for the id %j without touching other files",
    async (id) => {
      const mailbox = createFileMailbox({ directory: join(root, "c") });
      expect(await mailbox.get(id)).toBeNull();
    },
  );

  it("lists an empty mailbox that has no directory yet", async () => {
    expect(await createFileMailbox({ directory: join(root, "never-created") }).list()).toEqual([]);
  });
});
