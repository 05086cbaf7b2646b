/**
 * How a streaming app module is loaded, the same way in the driver
 * (`millrace submit`: `node --import tsx --import <this module> ...`) and in
 * its worker threads (local[N]), which import the app module again:
 *
 *   - the app and the files next to it (outside node_modules) are ES modules,
 *     whatever package.json says or when there is none (a standalone app.ts in
 *     a fresh folder), so top-level await works;
 *   - `import "millrace"` and `millrace/...` resolve to the running millrace
 *     (its package.json exports; in a clone, its TypeScript sources), even with
 *     no node_modules in the app's folder.
 *
 * Importing this module registers the resolve hook for the app named by
 * MILLRACE_APP_MODULE (once per thread) and sets MILLRACE_APP_LOADER to its
 * own URL, so worker threads register it too. TypeScript itself is tsx's
 * (registered before this module).
 */
import { existsSync } from "node:fs";
import { register } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** the hook, as source: it runs in the loader thread, where this module's imports are not loaded */
const HOOKS = `
let appDir, root, source;
export function initialize(d) { appDir = d.appDir; root = d.root; source = d.source; }
const own = (s) => s === "millrace" || s.startsWith("millrace/");
export async function resolve(specifier, context, next) {
  if (own(specifier)) {
    const conditions = source ? [...context.conditions, "millrace-source"] : context.conditions;
    return next(specifier, { ...context, parentURL: root, conditions });
  }
  const r = await next(specifier, context);
  if (appDir && r.url.startsWith(appDir) && !r.url.includes("/node_modules/") && /\\.(m?[jt]s|tsx)$/.test(r.url))
    return { ...r, format: "module" };
  return r;
}
`;

const FLAG = Symbol.for("millrace.appLoader");

/** Registers the app loader for `appModule` (a file: URL) in this thread; returns false when already done. */
export function registerAppLoader(appModule: string): boolean {
  const g = globalThis as { [FLAG]?: boolean };
  if (g[FLAG]) return false;
  g[FLAG] = true;
  const rootDir = fileURLToPath(new URL("../..", import.meta.url));
  const appDir = pathToFileURL(dirname(fileURLToPath(appModule)) + "/").href;
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, {
    data: {
      appDir,
      root: pathToFileURL(rootDir + "/package.json").href,
      // in a clone, "millrace" is the TypeScript sources (the millrace-source export condition)
      source: existsSync(rootDir + "/src/index.ts") && import.meta.url.endsWith(".ts"),
    },
  });
  process.env.MILLRACE_APP_LOADER = import.meta.url;
  return true;
}

const app = process.env.MILLRACE_APP_MODULE;
if (app) registerAppLoader(app);
