/**
 * The PostgreSQL adapter against the shared conformance suite on a real server, each suite on a
 * fresh database dropped afterwards; plus what only a shared server needs: instances migrating
 * at the same time, int8 parsed per pool, the schema's column types.
 */
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import {
  describeDatabaseConformance,
  describeEmailStoreConformance,
  describePasskeyStoreConformance,
  describeRevocationLogConformance,
  describeSessionStoreConformance,
  describeSigningKeyStoreConformance,
} from "../../storage/conformance.test-suite.js";
import { describeWebhookStoreConformance } from "../../storage/webhook-conformance.test-suite.js";
import { MIGRATION_TABLE, migrations } from "../../storage/migrations.js";
import { createTestDatabase, probePostgres } from "../../test-support/services.js";
import type { TestDatabase } from "../../test-support/services.js";
import { minimalUser } from "../../test-support/users.js";
import { createPostgresDatabase } from "./index.js";

const probe = await probePostgres();

/** Runs `use` with a pg client on `url`, outside the adapter, to inspect what it wrote. */
async function inspect<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

describe.skipIf(!probe.available)(`PostgreSQL adapter ${probe.reason}`, () => {
  describeDatabaseConformance("postgres", async () => {
    const testDatabase = await createTestDatabase();
    const database = createPostgresDatabase({ connectionString: testDatabase.url });
    await database.migrate();
    return {
      database,
      teardown: async () => {
        await database.close();
        await testDatabase.drop();
      },
    };
  });

  describeEmailStoreConformance("postgres", async () => {
    const testDatabase = await createTestDatabase();
    const database = createPostgresDatabase({ connectionString: testDatabase.url, max: 8 });
    await database.migrate();
    return {
      database,
      teardown: async () => {
        await database.close();
        await testDatabase.drop();
      },
    };
  });

  describePasskeyStoreConformance("postgres", async () => {
    const testDatabase = await createTestDatabase();
    const database = createPostgresDatabase({ connectionString: testDatabase.url, max: 8 });
    await database.migrate();
    return {
      database,
      teardown: async () => {
        await database.close();
        await testDatabase.drop();
      },
    };
  });

  describeWebhookStoreConformance("postgres", async () => {
    const testDatabase = await createTestDatabase();
    const database = createPostgresDatabase({ connectionString: testDatabase.url, max: 6 });
    await database.migrate();
    return {
      store: database,
      teardown: async () => {
        await database.close();
        await testDatabase.drop();
      },
    };
  });

  describeSessionStoreConformance("postgres", async () => {
    const testDatabase = await createTestDatabase();
    const database = createPostgresDatabase({ connectionString: testDatabase.url, max: 4 });
    await database.migrate();
    return {
      store: database.sessions,
      createUser: async (id) => {
        await database.createUser(minimalUser(id));
      },
      teardown: async () => {
        await database.close();
        await testDatabase.drop();
      },
    };
  });

  describeSigningKeyStoreConformance("postgres", async () => {
    const testDatabase = await createTestDatabase();
    const database = createPostgresDatabase({ connectionString: testDatabase.url });
    await database.migrate();
    return {
      store: database,
      teardown: async () => {
        await database.close();
        await testDatabase.drop();
      },
    };
  });

  describe("revocation log", () => {
    // Each test needs an empty log; creating a database takes most of a second, so the tests
    // share one and each gets a new Database instance on an emptied `revocations` table.
    let shared: TestDatabase | undefined;

    afterAll(async () => {
      await shared?.drop();
    });

    describeRevocationLogConformance("postgres", async () => {
      shared ??= await createTestDatabase();
      const database = createPostgresDatabase({ connectionString: shared.url, max: 4 });
      await database.migrate();
      await inspect(shared.url, (client) => client.query("truncate revocations restart identity"));
      return { log: database.revocations, teardown: () => database.close() };
    });
  });

  describe("createPostgresDatabase", () => {
    async function withFreshDatabase(test: (testDatabase: TestDatabase) => Promise<void>): Promise<void> {
      const testDatabase = await createTestDatabase();
      try {
        await test(testDatabase);
      } finally {
        await testDatabase.drop();
      }
    }

    it("lets several instances migrate one fresh database at the same time", async () => {
      await withFreshDatabase(async (testDatabase) => {
        const instances = Array.from({ length: 4 }, () =>
          createPostgresDatabase({ connectionString: testDatabase.url, max: 2 }),
        );
        try {
          const outcomes = await Promise.allSettled(instances.map((instance) => instance.migrate()));
          expect(outcomes.map((outcome) => outcome.status)).toEqual(instances.map(() => "fulfilled"));

          const applied = await inspect(testDatabase.url, async (client) => {
            const result = await client.query<{ name: string }>(`select name from ${MIGRATION_TABLE} order by name`);
            return result.rows.map((row) => row.name);
          });
          expect(applied).toEqual(Object.keys(migrations).sort());

          for (const [index, instance] of instances.entries()) {
            const id = `user_instance_${index}`;
            await instance.createUser(minimalUser(id));
            expect(await instances[0]?.getUserById(id)).toMatchObject({ id });
          }
        } finally {
          await Promise.all(instances.map((instance) => instance.close()));
        }
      });
    });

    it("stores every timestamp as bigint and has no boolean columns", async () => {
      await withFreshDatabase(async (testDatabase) => {
        const database = createPostgresDatabase({ connectionString: testDatabase.url });
        try {
          await database.migrate();
          expect(database.kind).toBe("postgres");
          const columns = await inspect(testDatabase.url, async (client) => {
            const result = await client.query<{ table_name: string; column_name: string; data_type: string }>(
              `select table_name, column_name, data_type from information_schema.columns
               where table_schema = 'public' and table_name not like 'gatehouse_migrations%'`,
            );
            return result.rows;
          });
          const timestamps = columns.filter(
            (column) => column.column_name.endsWith("_at") || column.column_name.endsWith("until"),
          );
          expect(timestamps.map((column) => `${column.table_name}.${column.column_name}`)).toEqual(
            expect.arrayContaining([
              "users.created_at",
              "sessions.expires_at",
              "sessions.rotated_at",
              "secret_keys.revoked_at",
              "signing_keys.retired_at",
              "signing_keys.publish_until",
              "revocations.revoked_at",
              "revocations.until",
            ]),
          );
          for (const column of timestamps) expect(column).toMatchObject({ data_type: "bigint" });
          expect(columns.filter((column) => column.data_type === "boolean")).toEqual([]);
        } finally {
          await database.close();
        }
      });
    });

    it("parses int8 as numbers on its own pool only, leaving pg's global parser alone", async () => {
      await withFreshDatabase(async (testDatabase) => {
        const database = createPostgresDatabase({ connectionString: testDatabase.url });
        try {
          await database.migrate();
          await database.createSecretKey({ id: "sk_1", keyHash: "h1", createdAt: 2 ** 40, revokedAt: null });
          expect(await database.countActiveSecretKeys()).toBe(1);
          expect(await database.findActiveSecretKey("h1")).toStrictEqual({
            id: "sk_1",
            keyHash: "h1",
            createdAt: 2 ** 40,
            revokedAt: null,
            name: null,
            hint: null,
            lastUsedAt: null,
          });
          const globallyParsed = await inspect(testDatabase.url, async (client) => {
            const result = await client.query<{ created_at: unknown }>("select created_at from secret_keys");
            return result.rows[0]?.created_at;
          });
          expect(globallyParsed).toBe(String(2 ** 40));
        } finally {
          await database.close();
        }
      });
    });

    it("enforces the sessions → users foreign key", async () => {
      await withFreshDatabase(async (testDatabase) => {
        const database = createPostgresDatabase({ connectionString: testDatabase.url });
        try {
          await database.migrate();
          const now = Date.now();
          const orphan = database.sessions.createSession({
            id: "sess_orphan",
            userId: "user_missing",
            secretHash: "hash",
            createdAt: now,
            lastActiveAt: now,
            idleExpiresAt: now + 60_000,
            expiresAt: now + 120_000,
            ip: null,
            userAgent: null,
            generation: 0,
            previousSecretHash: null,
            rotatedAt: null,
            secondFactorVerifiedAt: null,
          });
          // 23503: foreign_key_violation
          await expect(orphan).rejects.toMatchObject({ code: "23503" });
        } finally {
          await database.close();
        }
      });
    });

    it("ping rejects when the server cannot be reached", async () => {
      const database = createPostgresDatabase({ connectionString: "postgres://postgres@127.0.0.1:1/none" });
      try {
        await expect(database.ping()).rejects.toThrow();
      } finally {
        await database.close();
      }
    });
  });
});
