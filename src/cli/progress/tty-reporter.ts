import type { RunEvent } from "../../orchestrators/orchestrator-api.js";
import { maskSecrets } from "../../orchestrators/redact.js";
import { COLOR, eventLines, formatDuration, PLAIN, statementText, type Style } from "./format.js";
import type { Reporter, ReporterOptions } from "./reporter.js";

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const FRAME_MS = 100;

interface Running {
  since: number;
  attempt: number;
  maxAttempts: number;
}

/**
 * A live view for terminals, written directly with ANSI escapes (no dependency: listr2 would cost more start-up
 * time than the whole CLI). Finished steps scroll up as permanent lines, like the plain output; below them a footer
 * redrawn ten times a second shows the running steps as a tree with their elapsed time and the run's progress.
 */
export class TtyReporter implements Reporter {
  private readonly style: Style;
  private readonly err: NodeJS.WriteStream;
  private readonly running = new Map<string, Running>();
  private footerLines = 0;
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private total = 0;
  private finished = 0;
  private started = 0;

  constructor(private readonly o: ReporterOptions) {
    this.style = o.color === false ? PLAIN : COLOR;
    this.err = o.err ?? process.stderr;
  }

  onEvent(e: RunEvent): void {
    switch (e.type) {
      case "run-start":
        this.total = e.steps.length;
        this.started = Date.now();
        if (!e.dryRun) {
          this.err.write("\x1b[?25l");
          this.timer = setInterval(() => this.redraw(), FRAME_MS);
          this.timer.unref();
        }
        break;
      case "step-start":
        this.running.set(e.step, { since: this.running.get(e.step)?.since ?? Date.now(), attempt: e.attempt, maxAttempts: e.maxAttempts });
        this.redraw();
        return;
      case "step-success":
      case "step-failure":
      case "step-cancel":
      case "step-skip":
        this.running.delete(e.step);
        if (e.type !== "step-cancel" || e.started) this.finished++;
        break;
      case "statement":
        (this.o.out ?? process.stdout).write(maskSecrets(statementText(e), this.o.secrets));
        return;
      case "run-end":
        this.running.clear();
        break;
    }
    const lines = eventLines(e, this.style, this.o.resumeCommand !== undefined ? { resumeCommand: this.o.resumeCommand } : {});
    // step-start lines are left to the footer; everything else scrolls above it.
    if (lines.length) this.print(lines);
    if (e.type === "run-end") this.close();
  }

  note(message: string): void {
    this.print([this.style.yellow(message)]);
  }

  /** Prints permanent lines above the footer. */
  private print(lines: string[]): void {
    this.clearFooter();
    this.err.write(maskSecrets(lines.join("\n"), this.o.secrets) + "\n");
    this.drawFooter();
  }

  private clearFooter(): void {
    if (this.footerLines > 0) this.err.write(`\x1b[${this.footerLines}F\x1b[0J`);
    this.footerLines = 0;
  }

  private drawFooter(): void {
    if (!this.timer || this.running.size === 0) return;
    const now = Date.now();
    const s = this.style;
    const spin = SPINNER[this.frame % SPINNER.length]!;
    const width = Math.max(40, (this.err.columns ?? 80) - 1);
    const names = [...this.running.keys()];
    const lines = [s.dim(`${this.finished}/${this.total} done · ${names.length} running · ${formatDuration(now - this.started)}`)];
    names.forEach((name, i) => {
      const r = this.running.get(name)!;
      const branch = i === names.length - 1 ? "└─" : "├─";
      const attempt = r.attempt > 1 ? s.yellow(` attempt ${r.attempt}/${r.maxAttempts}`) : "";
      lines.push(`${s.dim(branch)} ${s.cyan(spin)} ${name}  ${s.dim(formatDuration(now - r.since))}${attempt}`);
    });
    const text = lines.map((l) => truncate(l, width)).join("\n");
    this.err.write(maskSecrets(text, this.o.secrets) + "\n");
    this.footerLines = lines.length;
  }

  private redraw(): void {
    this.frame++;
    this.clearFooter();
    this.drawFooter();
  }

  close(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.clearFooter();
      this.err.write("\x1b[?25h");
    }
  }
}

/** Cuts a line with ANSI escapes to `width` visible characters. */
function truncate(line: string, width: number): string {
  let visible = 0;
  let out = "";
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "\x1b") {
      const end = line.indexOf("m", i);
      if (end < 0) break;
      out += line.slice(i, end + 1);
      i = end;
      continue;
    }
    if (visible >= width) continue;
    out += line[i];
    visible++;
  }
  return out;
}
