/**
 * scripts/services.sh: lint, dry run, and a real second PostgreSQL cluster brought up, reused and stopped on a free
 * port in a temporary state folder (so the suite's own server is never touched).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isCi } from "../setup/postgres.js";
import { repoRoot } from "../helpers/paths.js";

const script = path.join(repoRoot, "scripts/services.sh");
const hasShellcheck = spawnSync("shellcheck", ["--version"]).status === 0;
const pgBin = "/usr/lib/postgresql/15/bin/postgres";
const canRunPostgres = existsSync(pgBin) && (process.getuid?.() !== 0 || spawnSync("id", ["postgres"]).status === 0);

function services(args: string[], env: Record<string, string>) {
  const r = spawnSync("bash", [script, ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function stateDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-services-"));
  // The server runs as the postgres user when the tests run as root: it must be able to reach its data folder.
  chmodSync(dir, 0o755);
  return dir;
}

describe("scripts/services.sh", () => {
  const made: string[] = [];
  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });

  it.skipIf(!hasShellcheck && !isCi())("is shellcheck-clean, as is .ci/run (skipped where shellcheck is not installed: apt-get install shellcheck; CI installs it)", () => {
    const r = spawnSync("shellcheck", [script, path.join(repoRoot, ".ci/run")], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("--dry-run up prints what it would run and changes nothing", async () => {
    const dir = stateDir();
    made.push(dir);
    const port = await freePort();
    const r = services(["--dry-run", "up", "postgres"], { OMOPETL_SERVICES_DIR: dir, OMOPETL_PG_PORT: String(port) });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\+ .*initdb -D .*postgres-15\/data -U postgres -A trust/);
    expect(r.stderr).toMatch(new RegExp(`\\+ .*pg_ctl -D .* start -o -c listen_addresses=127\\.0\\.0\\.1 -c port=${port} `));
    expect(r.stderr).toMatch(/CREATE DATABASE test/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("--dry-run up spark prints the venv, the Delta jars and the Thrift server it would start, and changes nothing", async () => {
    const dir = stateDir();
    made.push(dir);
    const port = await freePort();
    const r = services(["--dry-run", "up", "spark"], { OMOPETL_SERVICES_DIR: dir, OMOPETL_SPARK_PORT: String(port) });
    expect(r.code).toBe(0);
    // pyspark pinned, in a venv under the state folder (never the system's Python).
    expect(r.stderr).toMatch(new RegExp(`\\+ python3 -m venv ${dir}/spark-[0-9.]+/venv`));
    expect(r.stderr).toMatch(/\+ \S+\/venv\/bin\/pip install .*pyspark==4\.\d+\.\d+/);
    // The Delta jars of the matching release, fetched with mvn into the cache.
    expect(r.stderr).toMatch(/\+ mvn .*:copy -Dartifact=io\.delta:delta-spark_2\.13:4\.\d+\.\d+ /);
    expect(r.stderr).toMatch(/\+ mvn .*:copy -Dartifact=io\.delta:delta-storage:4\.\d+\.\d+ /);
    // The Thrift server: spark-submit, Delta enabled, its own warehouse and Derby metastore, bound to loopback.
    const submit = r.stderr.split("\n").find((l) => l.includes("bin/spark-submit")) ?? "";
    expect(submit).toMatch(/--class org\.apache\.spark\.sql\.hive\.thriftserver\.HiveThriftServer2 spark-internal/);
    expect(submit).toMatch(/--jars \S+delta-spark_2\.13-[0-9.]+\.jar,\S+delta-storage-[0-9.]+\.jar/);
    expect(submit).toContain("--conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension");
    expect(submit).toContain("--conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog");
    expect(submit).toMatch(new RegExp(`spark\\.sql\\.warehouse\\.dir=${dir}/\\S+/warehouse`));
    expect(submit).toMatch(new RegExp(`jdbc:derby:;databaseName=${dir}/\\S+/metastore/metastore_db;create=true`));
    expect(submit).toContain("--hiveconf hive.server2.thrift.bind.host=127.0.0.1");
    expect(submit).toContain(`--hiveconf hive.server2.thrift.port=${port}`);
    expect(r.stdout).toMatch(new RegExp(`spark: would wait up to \\d+s for hive://127\\.0\\.0\\.1:${port}`));
    expect(readdirSync(dir)).toEqual([]);
  });

  it("--dry-run up spark-cluster prints a master, two workers and a Thrift server submitting to the master, and changes nothing", async () => {
    const dir = stateDir();
    made.push(dir);
    const port = await freePort();
    const r = services(["--dry-run", "up", "spark-cluster"], { OMOPETL_SERVICES_DIR: dir, OMOPETL_SPARK_CLUSTER_PORT: String(port) });
    expect(r.code).toBe(0);
    const lines = r.stderr.split("\n");
    expect(lines.filter((l) => l.includes("spark-class org.apache.spark.deploy.master.Master --host 127.0.0.1 --port 7077"))).toHaveLength(1);
    const workers = lines.filter((l) => l.includes("spark-class org.apache.spark.deploy.worker.Worker"));
    expect(workers).toHaveLength(2);
    for (const w of workers) expect(w).toMatch(/--host 127\.0\.0\.1 --cores 1 --memory \S+ --work-dir \S+\/cluster\/worker-[12] .* spark:\/\/127\.0\.0\.1:7077$/);
    const submit = lines.find((l) => l.includes("bin/spark-submit")) ?? "";
    expect(submit).toContain("--master spark://127.0.0.1:7077");
    expect(submit).toContain(`--hiveconf hive.server2.thrift.port=${port}`);
    expect(submit).toMatch(new RegExp(`spark\\.sql\\.warehouse\\.dir=${dir}/\\S+/cluster/thriftserver-${port}/warehouse`));
    expect(readdirSync(dir)).toEqual([]);
  });

  it("up without names is CI's set, postgres then spark; status/down of a stopped spark report nothing running", async () => {
    const dir = stateDir();
    made.push(dir);
    const env = { OMOPETL_SERVICES_DIR: dir, OMOPETL_PG_PORT: String(await freePort()), OMOPETL_SPARK_PORT: String(await freePort()) };
    const dry = services(["--dry-run", "up"], env);
    expect(dry.code).toBe(0);
    const initdb = dry.stderr.indexOf("initdb");
    const submit = dry.stderr.indexOf("bin/spark-submit");
    expect(initdb).toBeGreaterThanOrEqual(0);
    expect(submit).toBeGreaterThan(initdb);
    const status = services(["status", "spark"], env);
    expect(status.code).toBe(3);
    expect(status.stdout).toMatch(/^spark: stopped/);
    const down = services(["down", "spark"], env);
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/^spark: not running .*nothing to stop/);
  });

  it("status and down of nothing: exit 3 (not running) and 0 (nothing to stop); usage errors exit 2", async () => {
    const dir = stateDir();
    made.push(dir);
    const env = { OMOPETL_SERVICES_DIR: dir, OMOPETL_PG_PORT: String(await freePort()), OMOPETL_SPARK_PORT: String(await freePort()) };
    const status = services(["status"], env);
    expect(status.code).toBe(3);
    expect(status.stdout).toMatch(/^postgres: stopped.*\nspark: stopped/);
    const down = services(["down", "postgres"], env);
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/nothing to stop/);
    const bad = services(["up", "mysql"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown argument 'mysql'/);
  });

  it.skipIf(!canRunPostgres && !isCi())(
    "up starts a cluster of its own, a second up reuses it, down stops only it (skipped where PostgreSQL 15 is not installed: scripts/services.sh up installs it)",
    async () => {
      const dir = stateDir();
      made.push(dir);
      const port = await freePort();
      const env = { OMOPETL_SERVICES_DIR: dir, OMOPETL_PG_PORT: String(port) };
      try {
        const first = services(["up", "postgres"], env);
        expect(first.stderr).toBe("");
        expect(first.code).toBe(0);
        expect(first.stdout).toMatch(new RegExp(`postgres: started at postgres://postgres@127\\.0\\.0\\.1:${port}/test`));
        const q = spawnSync("psql", ["-X", "-tA", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-w", "-d", "test", "-c", "SELECT current_database() || ' ' || rolsuper FROM pg_roles WHERE rolname = current_user"], { encoding: "utf8" });
        expect(q.stdout.trim()).toBe("test true");
        const second = services(["up", "postgres"], env);
        expect(second.code).toBe(0);
        expect(second.stdout).toMatch(/already running \(pid \d+, started by this script\)/);
        expect(services(["status", "postgres"], env).code).toBe(0);
      } finally {
        const down = services(["down", "postgres"], env);
        expect(down.stdout).toMatch(/postgres: stopped \(pid \d+\)/);
      }
      expect(services(["status", "postgres"], env).code).toBe(3);
    },
  );
});
