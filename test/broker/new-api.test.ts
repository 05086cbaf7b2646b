import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scaffold, withApi } from "../../scripts/new-api.js";

const root = join(import.meta.dirname, "..", "..");

function tempProject(): string {
  const out = mkdtempSync(join(tmpdir(), "millrace-new-api-"));
  mkdirSync(join(out, "scripts"));
  copyFileSync(join(root, "scripts", "gen-protocol.ts"), join(out, "scripts", "gen-protocol.ts"));
  return out;
}

test("new:api scaffolds the handler and its test, adds the name to APIS once, and says what is next", () => {
  const out = tempProject();
  try {
    const stdout = execFileSync(
      process.execPath,
      ["--import", "tsx", join(root, "scripts", "new-api.ts"), "CreateAcls", "--out", out],
      { cwd: root, encoding: "utf8" },
    );
    const handler = readFileSync(join(out, "src", "broker", "handlers", "create-acls.ts"), "utf8");
    assert.match(handler, /export const createAcls: ApiHandler<CreateAclsRequestData, CreateAclsResponseData> = \{/);
    assert.match(handler, /key: ApiKey\.CreateAcls,/);
    const facts = JSON.parse(readFileSync(join(root, "scripts", "kafka-messages", "CreateAclsRequest.json"), "utf8"));
    const [min, max] = String(facts.validVersions).split("-");
    assert.match(handler, new RegExp(`minVersion: ${min},\\s+maxVersion: ${max},`));
    const testFile = readFileSync(join(out, "test", "broker", "create-acls.test.ts"), "utf8");
    assert.match(testFile, /import \{ createAcls \} from "\.\.\/\.\.\/src\/broker\/handlers\/create-acls\.js";/);
    assert.match(testFile, /a\.apiKey === ApiKey\.CreateAcls/);
    const gen = readFileSync(join(out, "scripts", "gen-protocol.ts"), "utf8");
    assert.equal(gen.split('"CreateAcls",').length, 2, "CreateAcls is in APIS once");
    assert.equal(withApi(gen, "CreateAcls"), null, "a second run leaves APIS alone");
    assert.match(stdout, /npm run gen:protocol/);
    assert.match(stdout, /add createAcls to HANDLERS in src\/broker\/handlers\/index\.ts/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("new:api --dry-run writes nothing; an API already in APIS is not added again", () => {
  const out = tempProject();
  try {
    execFileSync(
      process.execPath,
      ["--import", "tsx", join(root, "scripts", "new-api.ts"), "Heartbeat", "--out", out, "--dry-run"],
      {
        cwd: root,
        encoding: "utf8",
      },
    );
    assert.equal(existsSync(join(out, "src")), false);
    assert.equal(scaffold("Heartbeat", out).generator, null);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("new:api refuses a name Kafka does not define", () => {
  assert.throws(() => scaffold("NoSuchApi"), /no NoSuchApiRequest\.json/);
  assert.throws(() => scaffold("lowercase"), /not a Kafka API name/);
});
