/**
 * The assets-only Worker of static/wrangler.toml (the API's `STATIC` service binding: the docs'
 * files, the common-password list), for the miniflare of the vitest configs: its name, compatibility
 * date and assets directory read from that file, served by miniflare's own asset workers as under
 * `wrangler dev`.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { unstable_readConfig } from "wrangler";

const configPath = fileURLToPath(new URL("../../static/wrangler.toml", import.meta.url));
const config = unstable_readConfig({ config: configPath });
if (!config.assets?.directory) throw new Error(`${configPath} declares no [assets] directory`);

export const staticWorker = {
  name: config.name,
  compatibilityDate: config.compatibility_date,
  modules: true,
  script: "export default {}",
  assets: {
    directory: resolve(dirname(configPath), config.assets.directory),
    routerConfig: { has_user_worker: false },
  },
};
