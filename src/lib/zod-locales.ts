/**
 * What the Worker bundle gets for zod's internal `../locales/index.js` (the `[alias]` in
 * wrangler.toml): English only, the locale zod configures by default. Every other locale is left
 * out of the bundle; nothing in the API switches zod's language.
 */
export { default as en } from "zod/v4/locales/en.js";
