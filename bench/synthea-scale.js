// Scaled copies of a Synthea CSV export for the run benchmarks: xN holds N copies of every patient, each copy with its
// own ids, so foreign keys stay consistent inside a copy and never cross copies.
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Bump when the output of {@link ensureScaledSynthea} changes, so cached copies are rebuilt. */
const GENERATOR_VERSION = 1;

/** Where scaled copies are cached (outside the repository): $OMOPETL_BENCH_CACHE or <tmp>/omopetl-bench. */
export function benchCacheDir() {
  return process.env.OMOPETL_BENCH_CACHE ?? path.join(os.tmpdir(), "omopetl-bench");
}

/**
 * A Synthea UUID as a whole CSV field. Only its first group (8 hex digits) is rewritten: XOR with the copy number is
 * a bijection per copy (no two ids of one copy collide) and copy 0 is the original data. Two copies could only
 * collide if two source UUIDs agreed on their last 96 bits.
 */
const UUID_FIELD = /(^|,)([0-9a-f]{8})(-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?=,|$)/g;

/**
 * Files whose rows are shared by every copy instead of replicated: payers are a handful of national insurers (Medicare,
 * Medicaid, ...) whatever the population, so their ids are kept as they are everywhere (encounters.PAYER,
 * payer_transitions.PAYER, ...). Organizations and providers are replicated with the patients: a population 100x as
 * large is served by more facilities and clinicians.
 */
const SHARED_FILES = new Set(["payers.csv"]);

/**
 * One data line cut at the UUIDs to rewrite: literal text, then (group-1 value, literal text) pairs.
 * @typedef {{ head: string, ids: number[], tails: string[] }} Template
 */

/** @returns {Template} */
function template(line, shared) {
  const ids = [];
  const tails = [];
  let head;
  let last = 0;
  for (const m of line.matchAll(UUID_FIELD)) {
    const uuid = m[2] + m[3];
    if (shared.has(uuid)) continue;
    const at = m.index + m[1].length;
    const text = line.slice(last, at);
    if (head === undefined) head = text;
    else tails.push(text);
    ids.push(Number.parseInt(m[2], 16));
    last = at + 8;
  }
  const rest = line.slice(last);
  if (head === undefined) return { head: rest, ids, tails };
  tails.push(rest);
  return { head, ids, tails };
}

const hex8 = (n) => n.toString(16).padStart(8, "0");

/** Writes `copies` copies of the rows of `src` to `dest` (header once), streaming in ~1 MB chunks with backpressure. */
async function writeCopies(src, dest, copies, shared) {
  const text = readFileSync(src, "utf8");
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const header = lines.shift() ?? "";
  const rows = lines.map((l) => template(l, shared));
  const out = createWriteStream(dest);
  const write = (chunk) => (out.write(chunk) ? Promise.resolve() : new Promise((resolve) => out.once("drain", resolve)));
  await write(header + "\n");
  let buf = "";
  for (let k = 0; k < copies; k++) {
    for (const r of rows) {
      let line = r.head;
      for (let i = 0; i < r.ids.length; i++) line += hex8((r.ids[i] ^ k) >>> 0) + r.tails[i];
      buf += line + "\n";
      if (buf.length >= 1 << 20) {
        await write(buf);
        buf = "";
      }
    }
  }
  if (buf) await write(buf);
  await new Promise((resolve, reject) => out.end((e) => (e ? reject(e) : resolve())));
}

/** Identifies the source export (names, sizes, modification times) so a changed source rebuilds the copies. */
function sourceStamp(sourceDir, files) {
  return files.map((f) => {
    const s = statSync(path.join(sourceDir, f));
    return `${f}:${s.size}:${Math.round(s.mtimeMs)}`;
  });
}

/**
 * Returns the folder holding `scale` copies of the Synthea export in `sourceDir`, generating it when missing or
 * stale (`<cache>/x<scale>`; written to a temporary folder and renamed, so an interrupted generation is never
 * reused). Scale 1 is the source folder itself. Every UUID field is rewritten per copy except payer ids.
 * @returns {Promise<{ dir: string, generated: boolean, ms: number, bytes: number }>}
 */
export async function ensureScaledSynthea(sourceDir, scale, log = () => {}) {
  const files = readdirSync(sourceDir).filter((f) => f.endsWith(".csv")).sort();
  const bytesOf = (dir) => files.reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
  if (scale === 1) return { dir: sourceDir, generated: false, ms: 0, bytes: bytesOf(sourceDir) };
  const dir = path.join(benchCacheDir(), `x${scale}`);
  const marker = path.join(dir, ".complete.json");
  // The real path: the same export reached through a symlink (e.g. /tmp/shared -> /work/shared) is the same source,
  // and regenerating x1000 costs minutes.
  const stamp = { generator: GENERATOR_VERSION, scale, source: realpathSync(sourceDir), files: sourceStamp(sourceDir, files) };
  if (existsSync(marker)) {
    try {
      if (JSON.stringify(JSON.parse(readFileSync(marker, "utf8"))) === JSON.stringify(stamp)) {
        return { dir, generated: false, ms: 0, bytes: bytesOf(dir) };
      }
    } catch {
      // unreadable marker: regenerate
    }
  }
  const t0 = performance.now();
  log(`generating x${scale} Synthea copies in ${dir} ...`);
  const shared = new Set();
  for (const f of SHARED_FILES) {
    if (!files.includes(f)) continue;
    for (const line of readFileSync(path.join(sourceDir, f), "utf8").split("\n").slice(1)) {
      const id = line.split(",")[0];
      if (id) shared.add(id);
    }
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  // World-readable (0755 folder, 0644 files under the usual umask): PostgreSQL's COPY reads them as the server's user.
  mkdirSync(tmp, { recursive: true, mode: 0o755 });
  for (const f of files) await writeCopies(path.join(sourceDir, f), path.join(tmp, f), SHARED_FILES.has(f) ? 1 : scale, shared);
  writeFileSync(path.join(tmp, ".complete.json"), JSON.stringify(stamp, null, 2) + "\n");
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  const ms = Math.round(performance.now() - t0);
  log(`generated x${scale} in ${(ms / 1000).toFixed(1)} s`);
  return { dir, generated: true, ms, bytes: bytesOf(dir) };
}
