#!/usr/bin/env node
// `npm run test:spark-ml`: compares millrace/ml with Spark (pyspark 3.5.3 from PyPI, Java 17).
// Checks the prerequisites first and says what is missing; installs pyspark (and numpy, which
// pyspark.ml needs) into node_modules/.cache/millrace-spark-ml/venv when no Python has it.
// MILLRACE_SPARK_PYTHON picks the Python; MILLRACE_SPARK_RESULT caches pyspark's answers in a file.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const PYSPARK = "pyspark==3.5.3";
const venv = join("node_modules", ".cache", "millrace-spark-ml", "venv");

function ok(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return r.status === 0 ? r.stdout || r.stderr : undefined;
}

function fail(msg) {
  console.error(`test:spark-ml: ${msg}`);
  process.exit(1);
}

const java = ok("java", ["-version"]);
if (java === undefined)
  fail("Java is missing: Spark 3.5 needs Java 8, 11 or 17 on PATH (apt-get install openjdk-17-jre-headless)");
const hasPyspark = (py) => ok(py, ["-c", "import pyspark, numpy; print(pyspark.__version__)"])?.trim();

let python = process.env.MILLRACE_SPARK_PYTHON;
if (python && !hasPyspark(python)) fail(`MILLRACE_SPARK_PYTHON=${python} cannot import pyspark and numpy`);
if (!python) {
  const candidates = [join(venv, "bin", "python"), "python3"];
  python = candidates.find((p) => (p === "python3" || existsSync(p)) && hasPyspark(p));
}
if (!python) {
  if (ok("python3", ["--version"]) === undefined) fail("python3 is missing (apt-get install python3 python3-venv)");
  console.log(`test:spark-ml: installing ${PYSPARK} into ${venv} (about 320 MB, once)`);
  mkdirSync(join(venv, ".."), { recursive: true });
  if (!existsSync(join(venv, "bin", "python")) && ok("python3", ["-m", "venv", venv]) === undefined)
    fail("python3 -m venv failed (apt-get install python3-venv)");
  const pip = spawnSync(join(venv, "bin", "pip"), ["install", "-q", PYSPARK, "numpy<2"], { stdio: "inherit" });
  if (pip.status !== 0) fail(`pip install ${PYSPARK} failed`);
  python = join(venv, "bin", "python");
}
console.log(`test:spark-ml: pyspark ${hasPyspark(python)} (${python}), ${java.split("\n")[0]}`);
const res = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", "test/spark-ml/compare.spark.ts"],
  { stdio: "inherit", env: { ...process.env, MILLRACE_SPARK_PYTHON: python } },
);
process.exit(res.status ?? 1);
