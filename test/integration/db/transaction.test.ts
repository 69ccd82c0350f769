import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { sql as dsql, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { withTransaction } from "../../../src/db/client.ts";
import { users } from "../../../src/db/schema/index.ts";
import { loadConfig } from "../../../src/env.ts";
import { countRoundTrips, sql } from "../../helpers/db.ts";
import { createUser } from "../../helpers/factories.ts";
import { testEnv } from "../../helpers/harness.ts";

describe("withTransaction (neon-serverless WebSocket Pool through the gateway)", () => {
  it("commits, over one WebSocket that the request closes", async () => {
    const user = await createUser();
    const { result, wsConnections, sqlRequests } = await countRoundTrips(async (env) => {
      const ctx = createExecutionContext();
      const out = await withTransaction(loadConfig(env), ctx, async (tx) => {
        await tx
          .update(users)
          .set({ credits: dsql`${users.credits} + 5` })
          .where(eq(users.id, user.id));
        const [row] = await tx.select({ credits: users.credits }).from(users).where(eq(users.id, user.id));
        return row?.credits;
      });
      await waitOnExecutionContext(ctx);
      return out;
    });
    expect(result).toBe(5);
    expect(wsConnections).toBe(1);
    expect(sqlRequests).toBe(0);
    expect((await sql`select credits from users where id = ${user.id}`)[0]?.credits).toBe(5);
  });

  it("rolls everything back when the callback throws", async () => {
    const user = await createUser();
    const ctx = createExecutionContext();
    await expect(
      withTransaction(loadConfig(testEnv), ctx, async (tx) => {
        await tx.update(users).set({ credits: 99, fullName: "changed" }).where(eq(users.id, user.id));
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    await waitOnExecutionContext(ctx);
    expect((await sql`select credits, full_name from users where id = ${user.id}`)[0]).toEqual({
      credits: 0,
      full_name: null,
    });
  });
});
