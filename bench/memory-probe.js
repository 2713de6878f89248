// Preloaded into a benchmarked process (`node --import ./bench/memory-probe.js ...`): samples the JavaScript heap every
// 50 ms and, when the process exits, writes the peaks to $OMOPETL_BENCH_PROBE as JSON. The resident-set peak is the
// kernel's own high-water mark (VmHWM in /proc/self/status): everything the process ever held at once, the embedded
// DuckDB's buffers included. It also records the CPU time the process used (user + system, all threads, DuckDB's
// included): on a shared machine it varies less than wall time. Timers are unref'd, so the probe never keeps a
// process alive.
import { readFileSync, writeFileSync } from "node:fs";

const out = process.env.OMOPETL_BENCH_PROBE;
if (out) {
  let heapUsed = 0;
  let heapTotal = 0;
  let rss = 0;
  let external = 0;
  const sample = () => {
    const m = process.memoryUsage();
    heapUsed = Math.max(heapUsed, m.heapUsed);
    heapTotal = Math.max(heapTotal, m.heapTotal);
    rss = Math.max(rss, m.rss);
    external = Math.max(external, m.external);
  };
  setInterval(sample, 50).unref();
  process.on("exit", () => {
    sample();
    let hwm;
    try {
      const kb = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync("/proc/self/status", "utf8"));
      if (kb) hwm = Number(kb[1]) * 1024;
    } catch {
      // not Linux: the sampled RSS peak is all there is
    }
    const cpu = process.cpuUsage();
    const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
    writeFileSync(out, JSON.stringify({ heapUsedPeak: heapUsed, heapTotalPeak: heapTotal, externalPeak: external, rssPeakSampled: rss, rssPeak: hwm ?? rss, cpuMs }));
  });
}
