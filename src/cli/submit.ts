/**
 * `millrace submit APP [--master local[N]] [--conf k=v] [args...]`, like
 * spark-submit: runs a streaming application (TypeScript through tsx, or
 * JavaScript) in a child Node.js process. The application sees its own
 * arguments as process.argv.slice(2), as if node had run it directly; options
 * after APP belong to the application.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Command } from "commander";
import { ConfigError } from "../errors.js";
import { collect, keyValues } from "./common.js";

export function submitCommand(): Command {
  return new Command("submit")
    .description("run a streaming application (.ts or .js), like spark-submit")
    .argument("<app>", "the application file (.ts, .mts, .js, .mjs)")
    .argument("[args...]", "the application's own arguments")
    .option("--master <master>", "local, local[N] or local[*] (overrides the app's master)")
    .option("--conf <key=value>", "a setting passed to the app's StreamingContext (repeatable)", collect, [])
    .option("--name <name>", "application name (MILLRACE_APP_NAME)")
    .passThroughOptions()
    .action(async (app: string, args: string[], opts: { master?: string; conf: string[]; name?: string }) => {
      const code = await submit(app, args, opts);
      process.exitCode = code;
    });
}

export async function submit(
  app: string,
  args: string[],
  opts: { master?: string; conf?: string[]; name?: string } = {},
): Promise<number> {
  const path = resolve(app);
  if (!existsSync(path)) throw new ConfigError("MR_CLI_SUBMIT_APP", `application ${app} not found`);
  const conf = keyValues(opts.conf ?? [], "--conf");
  const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
  // TypeScript through tsx; the app (and its worker threads) as ES modules with "millrace" resolved
  // to this millrace, from any folder (streaming/worker-loader.ts); one clear load error (submit-launcher)
  const nodeArgs = [
    "--import",
    import.meta.resolve("tsx"),
    "--import",
    new URL(`../streaming/worker-loader.${ext}`, import.meta.url).href,
  ];
  const launcher = fileURLToPath(new URL(`./submit-launcher.${ext}`, import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, MILLRACE_APP_MODULE: pathToFileURL(path).href };
  if (opts.master) env.MILLRACE_MASTER = opts.master;
  if (opts.name) env.MILLRACE_APP_NAME = opts.name;
  if (Object.keys(conf).length) env.MILLRACE_CONF = JSON.stringify(conf);
  const child = spawn(process.execPath, [...nodeArgs, launcher, ...args], { stdio: "inherit", env });
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  const onInt = forward("SIGINT");
  const onTerm = forward("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return new Promise<number>((res, rej) => {
    child.on("error", rej);
    child.on("exit", (code, signal) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      res(code ?? (signal ? 128 + (signal === "SIGKILL" ? 9 : signal === "SIGTERM" ? 15 : 2) : 1));
    });
  });
}
