#!/usr/bin/env node
// Entry point of the `millrace` command. In a clone the TypeScript sources run
// through tsx; a published package runs the compiled dist/ instead.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src", "cli", "main.ts");
const dist = join(root, "dist", "cli", "main.js");

if (existsSync(src)) {
  const { register } = await import("tsx/esm/api");
  register();
  // Streaming apps loaded in-process (millrace run) `import ... from "millrace"`:
  // in a clone that resolves to the TypeScript sources (the "millrace-source" export condition).
  const { register: registerHooks } = await import("node:module");
  registerHooks(
    "data:text/javascript," +
      encodeURIComponent(
        "export async function resolve(s, c, next) {" +
          ' return next(s, s === "millrace" || s.startsWith("millrace/")' +
          ' ? { ...c, conditions: [...c.conditions, "millrace-source"] } : c); }',
      ),
  );
  await import(pathToFileURL(src).href);
} else {
  await import(pathToFileURL(dist).href);
}
