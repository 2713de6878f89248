import type { RunEvent } from "../../orchestrators/orchestrator-api.js";
import { escapeJsonText } from "../../core/diagnostics/safe-text.js";
import { maskSecrets } from "../../orchestrators/redact.js";
import { COLOR, eventLines, PLAIN, statementText } from "./format.js";

/** Receives run events and shows them. */
export interface Reporter {
  onEvent(event: RunEvent): void;
  /** A message from the CLI itself (e.g. "interrupted"), shown between progress lines on stderr. */
  note(message: string): void;
  /** Stops timers and restores the terminal. */
  close(): void;
}

export interface ReporterOptions {
  /** "text": live tree on a TTY, plain lines otherwise; "json": one JSON object per event on stdout. */
  format: "text" | "json";
  /** Masked wherever they appear. */
  secrets: readonly string[];
  /** Shown after a failed or interrupted run. */
  resumeCommand?: string;
  color?: boolean;
  /** Where progress goes (default stderr); a dry run's SQL and JSON events go to `out` (default stdout). */
  err?: NodeJS.WriteStream;
  out?: NodeJS.WriteStream;
}

/** One JSON object per event, secrets masked. */
export class JsonReporter implements Reporter {
  constructor(private readonly o: ReporterOptions) {}
  onEvent(e: RunEvent): void {
    (this.o.out ?? process.stdout).write(escapeJsonText(maskSecrets(JSON.stringify(e), this.o.secrets)) + "\n");
  }
  note(message: string): void {
    (this.o.err ?? process.stderr).write(maskSecrets(message, this.o.secrets) + "\n");
  }
  close(): void {}
}

/** One line per event (CI logs, pipes); a dry run's statements go to stdout as a SQL script. */
export class PlainReporter implements Reporter {
  constructor(private readonly o: ReporterOptions) {}
  onEvent(e: RunEvent): void {
    if (e.type === "statement") {
      (this.o.out ?? process.stdout).write(maskSecrets(statementText(e), this.o.secrets));
      return;
    }
    const lines = eventLines(e, this.o.color ? COLOR : PLAIN, this.o.resumeCommand !== undefined ? { resumeCommand: this.o.resumeCommand } : {});
    if (lines.length) this.note(lines.join("\n"));
  }
  note(message: string): void {
    (this.o.err ?? process.stderr).write(maskSecrets(message, this.o.secrets) + "\n");
  }
  close(): void {}
}

/**
 * The reporter for a run: JSON lines, a live tree when stderr is a terminal (loaded only then), or plain lines.
 */
export async function createReporter(o: ReporterOptions): Promise<Reporter> {
  if (o.format === "json") return new JsonReporter(o);
  const err = o.err ?? process.stderr;
  if (err.isTTY && !process.env.CI) {
    const { TtyReporter } = await import("./tty-reporter.js");
    return new TtyReporter(o);
  }
  return new PlainReporter(o);
}
