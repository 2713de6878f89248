import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import path from "node:path";

/** One request the emulator saw. */
export interface RecordedRequest {
  method: string;
  /** Repository path after /contents/, e.g. "inst/csv/OMOP_CDMv5.4_Field_Level.csv". */
  filePath: string;
  ref: string | null;
  accept: string | undefined;
  authorization: string | undefined;
}

/** A canned answer that replaces the normal one. */
export interface CannedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface GitHubEmulatorOptions {
  /** Folder holding the CSVs served as `inst/csv/<file>`. */
  csvDir: string;
  owner?: string;
  repo?: string;
  /** "raw" honours the raw media type; "json" always answers with the base64 JSON file object. */
  mode?: "raw" | "json";
  /** Lets a test fail a request: called with the request and how many requests for that file came before it. */
  intercept?: (req: RecordedRequest, previousForFile: number) => CannedResponse | undefined;
}

/** A tiny stand-in for GitHub's `GET /repos/{owner}/{repo}/contents/{path}?ref=` on 127.0.0.1. */
export interface GitHubEmulator {
  url: string;
  requests: RecordedRequest[];
  /** Requests seen for one file name (basename match). */
  countFor(fileName: string): number;
  close(): Promise<void>;
}

export async function startGitHubEmulator(options: GitHubEmulatorOptions): Promise<GitHubEmulator> {
  const owner = options.owner ?? "OHDSI";
  const repo = options.repo ?? "CommonDataModel";
  const requests: RecordedRequest[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const prefix = `/repos/${owner}/${repo}/contents/`;
    if (!url.pathname.startsWith(prefix)) return send(res, { status: 404, body: { message: "Not Found" } });
    const filePath = decodeURIComponent(url.pathname.slice(prefix.length));
    const recorded: RecordedRequest = {
      method: req.method ?? "GET",
      filePath,
      ref: url.searchParams.get("ref"),
      accept: req.headers.accept,
      authorization: req.headers.authorization,
    };
    const previous = requests.filter((r) => r.filePath === filePath).length;
    requests.push(recorded);

    const canned = options.intercept?.(recorded, previous);
    if (canned) return send(res, canned);

    const m = /^inst\/csv\/([^/]+\.csv)$/.exec(filePath);
    let bytes: Buffer | undefined;
    if (m) bytes = await readFile(path.join(options.csvDir, m[1]!)).catch(() => undefined);
    if (!bytes) return send(res, { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } });

    const wantsRaw = (recorded.accept ?? "").includes("raw");
    if (options.mode !== "json" && wantsRaw) {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": bytes.length });
      res.end(bytes);
      return;
    }
    // GitHub wraps base64 content at 60 characters; decoding must cope with the line breaks.
    const content = (bytes.toString("base64").match(/.{1,60}/g) ?? []).join("\n");
    return send(res, {
      status: 200,
      body: { type: "file", encoding: "base64", size: bytes.length, name: path.basename(filePath), path: filePath, content },
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, { status: 500, body: { message: String(err) } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    countFor: (fileName) => requests.filter((r) => path.basename(r.filePath) === fileName).length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function send(res: ServerResponse, canned: CannedResponse): void {
  const body = canned.body === undefined ? "" : JSON.stringify(canned.body);
  res.writeHead(canned.status, { "content-type": "application/json; charset=utf-8", ...canned.headers });
  res.end(body);
}

/** A URL on which nothing listens: bind a port, then release it. */
export async function deadServerUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
