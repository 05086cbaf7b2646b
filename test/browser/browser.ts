/**
 * Drives Debian's chromium with playwright-core (no browser download). The
 * browser suite (`npm run test:browser`) fails with a clear message when
 * chromium is missing, unless MILLRACE_BROWSER_ALLOW_MISSING=1 (then it skips).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";

const CANDIDATES = [
  process.env.MILLRACE_CHROMIUM,
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
].filter(Boolean) as string[];

export function chromiumPath(): string | null {
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** Returns a launched browser, or null (with the test skipped) when allowed to be missing. */
export async function launch(t: { skip(msg: string): void }): Promise<Browser | null> {
  const exe = chromiumPath();
  if (!exe) {
    const msg =
      "chromium not found (tried " +
      CANDIDATES.join(", ") +
      "): install it with `apt-get install chromium` or set MILLRACE_CHROMIUM";
    if (process.env.MILLRACE_BROWSER_ALLOW_MISSING === "1") {
      t.skip(msg);
      return null;
    }
    throw new Error(msg);
  }
  return chromium.launch({
    executablePath: exe,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

/** Where screenshots go (git-ignored; CI keeps them as artifacts). */
export function artifactsDir(): string {
  const dir = join(process.cwd(), "test-artifacts", "browser");
  mkdirSync(dir, { recursive: true });
  return dir;
}
