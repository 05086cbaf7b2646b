import { test } from "node:test";
import assert from "node:assert/strict";
import { parseJaasConfig, parseSingleJaasModule } from "../../src/security/jaas.js";
import { plainUsersFromJaas } from "../../src/security/sasl/plain.js";

test("JAAS: a PlainLoginModule with quoted and bare values", () => {
  const m = parseSingleJaasModule(
    `org.apache.kafka.common.security.plain.PlainLoginModule required
       username="admin" password="admin-secret" user_admin="admin-secret" user_alice='al;ice "x"' retries=3;`,
  );
  assert.equal(m.loginModule, "org.apache.kafka.common.security.plain.PlainLoginModule");
  assert.equal(m.flag, "required");
  assert.deepEqual(m.options, {
    username: "admin",
    password: "admin-secret",
    user_admin: "admin-secret",
    user_alice: 'al;ice "x"',
    retries: "3",
  });
  assert.equal(parseSingleJaasModule('X optional a="q\\"uote";').options.a, 'q"uote');
});

test("JAAS: several modules, and the errors name the key but never a value", () => {
  assert.equal(parseJaasConfig("A required; B sufficient x=1;").length, 2);
  assert.throws(() => parseSingleJaasModule("A required; B required;"), /exactly one login module/);
  const cases = [
    'A required user_a="secret-value"',
    "A mandatory;",
    "A required x=;",
    "A required x;",
    'A required x="secret-value;',
    "",
  ];
  for (const bad of cases) {
    assert.throws(
      () => parseSingleJaasModule(bad, "listener.name.sasl_ssl.plain.sasl.jaas.config"),
      (e: Error & { code?: string }) =>
        e.code === "MR_SECURITY_CONFIG" &&
        e.message.startsWith("listener.name.sasl_ssl.plain.sasl.jaas.config:") &&
        !e.message.includes("secret-value"),
      bad,
    );
  }
});

test("PLAIN users come from user_<name> options of PlainLoginModule only", () => {
  const users = plainUsersFromJaas(
    'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="p" ' +
      'user_admin="p" user_bob="b";',
  );
  assert.deepEqual(
    [...users],
    [
      ["admin", "p"],
      ["bob", "b"],
    ],
  );
  assert.throws(
    () =>
      plainUsersFromJaas('org.apache.kafka.common.security.scram.ScramLoginModule required username="a" password="b";'),
    /PLAIN needs org.apache.kafka.common.security.plain.PlainLoginModule/,
  );
});
