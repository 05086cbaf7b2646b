/**
 * Test certificates made with the openssl command at test time (never
 * committed): a CA, a server certificate for 127.0.0.1/localhost, client
 * certificates, a second CA for "another CA" cases, PKCS12 and encrypted-key forms.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pki {
  dir: string;
  caCert: string;
  /** PEM paths */
  ca: string;
  serverKey: string;
  serverCert: string;
  /** key + chain in one PEM file (KIP-651 keystore) */
  serverKeystore: string;
  /** the server key encrypted with "keypass" */
  serverKeyEncrypted: string;
  /** PKCS12 keystore with password "storepass" */
  serverP12: string;
  clientKey: string;
  clientCert: string;
  /** a client certificate signed by an unrelated CA */
  otherClientKey: string;
  otherClientCert: string;
  otherCa: string;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function issue(dir: string, name: string, subj: string, ca: string, ext?: string): void {
  openssl(
    dir,
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    subj,
  );
  const args = ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial"];
  args.push("-out", `${name}.pem`, "-days", "2");
  if (ext) {
    writeFileSync(join(dir, `${name}.ext`), ext);
    args.push("-extfile", `${name}.ext`);
  }
  openssl(dir, ...args);
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "millrace-pki-"));
  for (const ca of ["ca", "otherca"]) {
    const subj = `/CN=millrace test ${ca}`;
    openssl(
      dir,
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${ca}.key`,
      "-out",
      `${ca}.pem`,
      "-days",
      "2",
      "-subj",
      subj,
    );
  }
  return finish(dir);
}

function finish(dir: string): Pki {
  const p = (f: string) => join(dir, f);
  issue(dir, "server", "/CN=localhost/O=millrace-test", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  issue(dir, "client", "/C=US/O=acme/OU=eng/CN=alice", "ca");
  issue(dir, "other", "/C=US/O=evil/CN=mallory", "otherca");
  writeFileSync(
    p("server-keystore.pem"),
    readFileSync(p("server.key"), "utf8") + readFileSync(p("server.pem"), "utf8") + readFileSync(p("ca.pem"), "utf8"),
  );
  openssl(
    dir,
    "pkcs8",
    "-topk8",
    "-in",
    "server.key",
    "-out",
    "server-enc.key",
    "-passout",
    "pass:keypass",
    "-v2",
    "aes-256-cbc",
  );
  openssl(
    dir,
    "pkcs12",
    "-export",
    "-in",
    "server.pem",
    "-inkey",
    "server.key",
    "-certfile",
    "ca.pem",
    "-out",
    "server.p12",
    "-passout",
    "pass:storepass",
  );
  return {
    dir,
    caCert: readFileSync(p("ca.pem"), "utf8"),
    ca: p("ca.pem"),
    serverKey: p("server.key"),
    serverCert: p("server.pem"),
    serverKeystore: p("server-keystore.pem"),
    serverKeyEncrypted: p("server-enc.key"),
    serverP12: p("server.p12"),
    clientKey: p("client.key"),
    clientCert: p("client.pem"),
    otherClientKey: p("other.key"),
    otherClientCert: p("other.pem"),
    otherCa: p("otherca.pem"),
  };
}
