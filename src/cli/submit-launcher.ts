/**
 * The entry `millrace submit` runs in its child process: imports the app named
 * by MILLRACE_APP_MODULE (as an ES module, see streaming/worker-loader.ts) with
 * process.argv as if node had run the app itself. A module that cannot be
 * loaded (syntax, a missing import) is one message naming the file, exit 1;
 * anything the app throws once loaded is reported by Node as usual.
 */
import { fileURLToPath } from "node:url";

const LOAD_CODES = new Set([
  "ERR_MODULE_NOT_FOUND",
  "ERR_UNSUPPORTED_DIR_IMPORT",
  "ERR_UNKNOWN_FILE_EXTENSION",
  "ERR_PACKAGE_PATH_NOT_EXPORTED",
  "ERR_REQUIRE_ESM",
  "ERR_INVALID_MODULE_SPECIFIER",
]);

/** the one line that says what is wrong, or undefined when `e` is not a load error */
export function loadErrorLine(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { code?: string }).code;
  // tsx's esbuild: "Transform failed with 1 error:\n<file>:<line>:<col>: ERROR: <what>"
  if (e.name === "TransformError" || /^Transform failed/.test(e.message)) {
    const line = e.message.split("\n").find((l) => / ERROR: /.test(l));
    return line ? `${line.replace(/^.*?:(\d+:\d+): ERROR: /, "line $1: ")}` : e.message.split("\n")[0];
  }
  if (e instanceof SyntaxError || (code && LOAD_CODES.has(code)))
    return `${e.name}: ${e.message.split("\n")[0]}${code ? ` (${code})` : ""}`;
  return undefined;
}

const app = process.env.MILLRACE_APP_MODULE;
if (!app) throw new Error("millrace submit: MILLRACE_APP_MODULE is not set");
const file = fileURLToPath(app);
process.argv.splice(1, 1, file);
try {
  await import(app);
} catch (e) {
  const why = loadErrorLine(e);
  if (why === undefined) throw e;
  process.stderr.write(`millrace submit: cannot load ${file}: ${why} [MR_CLI_SUBMIT_LOAD]\n`);
  process.exit(1);
}
