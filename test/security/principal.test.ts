import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { KafkaPrincipal, SslPrincipalMapper, subjectDistinguishedName } from "../../src/security/principal.js";
import { makePki } from "../helpers/certs.js";

test("KafkaPrincipal parses and prints Type:name", () => {
  const p = KafkaPrincipal.parse("User:alice");
  assert.equal(p.principalType, "User");
  assert.equal(p.name, "alice");
  assert.equal(p.toString(), "User:alice");
  assert.equal(KafkaPrincipal.parse("User:CN=a:b").name, "CN=a:b");
  assert.ok(p.equals(KafkaPrincipal.user("alice")));
  assert.equal(KafkaPrincipal.ANONYMOUS.toString(), "User:ANONYMOUS");
  for (const bad of ["alice", ":alice", "User:"])
    assert.throws(() => KafkaPrincipal.parse(bad), { code: "MR_SECURITY_CONFIG" });
});

// cases from Kafka's documentation of ssl.principal.mapping.rules and its SslPrincipalMapper tests
test("ssl.principal.mapping.rules: DEFAULT, RULE with replacement, /L and /U, first match wins", () => {
  const dn = "CN=kafka-server1,OU=KAFKA,O=Example,C=US";
  assert.equal(SslPrincipalMapper.fromRules(undefined).getName(dn), dn);
  assert.equal(SslPrincipalMapper.fromRules("DEFAULT").getName(dn), dn);
  const rules = SslPrincipalMapper.fromRules(
    "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/," +
      "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L," +
      "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,DEFAULT",
  );
  assert.equal(rules.getName("CN=kafka-server1,OU=ServiceUsers,O=org,C=US"), "kafka-server1");
  assert.equal(rules.getName("CN=Duke,OU=JavaSoft,O=Sun Microsystems,L=Santa Clara,ST=CA,C=US"), "duke@javasoft");
  assert.equal(rules.getName("OU=JavaSoft,CN=Duke.Two,O=Sun"), "duke.two");
  assert.equal(rules.getName("O=nothing"), "O=nothing");
  assert.equal(SslPrincipalMapper.fromRules("RULE:^CN=(.*),O=(.*)$/$1-$2/U").getName("CN=bob,O=acme"), "BOB-ACME");
  // an escaped '/' in the pattern and the replacement
  assert.equal(SslPrincipalMapper.fromRules("RULE:^CN=(.*)\\/x$/a\\/$1/").getName("CN=z/x"), "a/z");
});

test(
  "ssl.principal.mapping.rules: no rule applies is an authentication failure; malformed rules are config " + "errors",
  () => {
    const m = SslPrincipalMapper.fromRules("RULE:^CN=(.*),O=acme$/$1/");
    assert.throws(() => m.getName("CN=x,O=other"), {
      code: "MR_SECURITY_AUTH_FAILED",
      message: /No rules apply to CN=x,O=other/,
    });
    for (const bad of ["RULE:abc", "RULE:^CN=(.*)$/$1/X", "NOT_A_RULE", "DEFAULT,", "RULE:^(.*$/$1/"])
      assert.throws(
        () => SslPrincipalMapper.fromRules(bad),
        { code: "MR_SECURITY_CONFIG", message: /Invalid rule/ },
        bad,
      );
  },
);

test("a certificate's subject in RFC 2253 order, as Java prints it", () => {
  const pki = makePki();
  const cert = new X509Certificate(readFileSync(pki.clientCert));
  assert.equal(subjectDistinguishedName(cert), "CN=alice,OU=eng,O=acme,C=US");
  assert.equal(subjectDistinguishedName(cert.raw), "CN=alice,OU=eng,O=acme,C=US");
});
