/** Vite's `?raw` imports (a file's text), used by tests that read the docs they check. */
declare module "*.md?raw" {
  const text: string;
  export default text;
}
