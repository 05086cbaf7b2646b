import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAddScram } from "../../src/cli/storage.js";
import { ScramSaslClient, ScramSaslServer } from "../../src/security/sasl/scram.js";
import { ScramCredentialStore } from "../../src/security/stores.js";
import { removeDir, tempDir } from "../helpers/broker.js";

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

test("--add-scram specs parse as kafka-storage writes them; malformed ones name the problem", () => {
  assert.deepEqual(parseAddScram("SCRAM-SHA-256=[name=alice,password=alice-secret]"), {
    mechanism: "SCRAM-SHA-256",
    name: "alice",
    password: "alice-secret",
    iterations: 4096,
  });
  assert.deepEqual(parseAddScram('SCRAM-SHA-512=[name=bob,password="a,b=c",iterations=8192]').password, "a,b=c");
  for (const bad of [
    "alice",
    "MD5=[name=a,password=b]",
    "SCRAM-SHA-256=[name=a]",
    "SCRAM-SHA-256=[password=b]",
    "SCRAM-SHA-256=[name=a,password=b,salt=x]",
  ])
    assert.throws(() => parseAddScram(bad), { code: "MR_CONFIG_INVALID", message: /^--add-scram:/ }, bad);
});

test(
  "millrace storage add-scram creates a user offline that then authenticates" + "; the password is not stored",
  async () => {
    const dir = tempDir();
    dirs.push(dir);
    const r = spawnSync(
      process.execPath,
      [
        "bin/millrace.js",
        "storage",
        "add-scram",
        "--override",
        `log.dirs=${dir}`,
        "SCRAM-SHA-512=[name=admin,password=first-admin-pw,iterations=4096]",
      ],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /added SCRAM-SHA-512 credential for user admin/);
    assert.ok(!readFileSync(join(dir, "scram-credentials.json"), "utf8").includes("first-admin-pw"));
    const store = ScramCredentialStore.open(dir);
    const server = new ScramSaslServer("SCRAM-SHA-512", (m, u) => store.get(m, u));
    const client = new ScramSaslClient("SCRAM-SHA-512", "admin", "first-admin-pw");
    const first = await server.evaluateResponse(client.initialResponse());
    client.evaluateChallenge(await server.evaluateResponse(client.evaluateChallenge(first)!));
    assert.ok(server.isComplete() && client.isComplete());
    const bad = spawnSync(
      process.execPath,
      ["bin/millrace.js", "storage", "add-scram", "--override", `log.dirs=${dir}`, "SCRAM-SHA-1=[name=a,password=b]"],
      { encoding: "utf8" },
    );
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /SCRAM-SHA-1 is not SCRAM-SHA-256 or SCRAM-SHA-512 \[MR_CONFIG_INVALID\]/);
  },
);
