/**
 * A bare Hono Worker: what a Worker on this wrangler serves with no middleware at all. `npm run bench`
 * compares the product's `GET /` (every global middleware, no database) with this `GET /`.
 */
import { Hono } from "hono";

const app = new Hono();

app.get("/", (c) => c.json({ name: "bench-floor", version: "0.0.0", health: "/health" }));

export default app;
