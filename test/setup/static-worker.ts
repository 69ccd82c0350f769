/**
 * The assets-only Worker of static/wrangler.toml (the API's `STATIC` service binding: the docs'
 * files, the common-password list), for the miniflare of the vitest configs: the same name and
 * public/ directory, served by miniflare's own asset workers as under `wrangler dev`.
 */
import { fileURLToPath } from "node:url";

export const staticWorker = {
  name: "edge-auth-api-static",
  compatibilityDate: "2026-10-01",
  modules: true,
  script: "export default {}",
  assets: {
    directory: fileURLToPath(new URL("../../public", import.meta.url)),
    routerConfig: { has_user_worker: false },
  },
};
