/**
 * A local HTTPS server speaking enough of a Databricks SQL warehouse's protocol (HiveServer2's TCLIService, Thrift
 * binary over HTTP POST) for the real @databricks/sql client to connect, open sessions and run statements, and that
 * records every request: its HTTP path, Authorization and User-Agent headers, the Thrift call and its arguments.
 *
 * The Thrift messages are read and written by the TCLIService code @databricks/sql itself ships (the protocol's own
 * generated processor), so nothing of omopetl is stood in for. Results are Arrow batches, as a warehouse sends
 * them (made with apache-arrow, the client's own Arrow library). The certificate is self-signed, made by `openssl`
 * at test time into a temporary folder (no key is checked in).
 *
 * What it does not do: real SQL. Each statement's answer is scripted by the test ({@link DatabricksServer.answer});
 * a statement without an answer succeeds with no result set, as DDL and INSERT do.
 */
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const requireFromClient = createRequire(createRequire(import.meta.url).resolve("@databricks/sql"));
/* eslint-disable @typescript-eslint/no-explicit-any -- the generated Thrift code is untyped JavaScript */
const thrift = requireFromClient("thrift") as any;
const TCLIService = requireFromClient("../thrift/TCLIService") as any;
const types = requireFromClient("../thrift/TCLIService_types") as any;
const Int64Value = requireFromClient("node-int64") as new (n: number) => unknown;
// The client's own Arrow library (its typings do not resolve under this project's module resolution).
const { DateDay, Int32, Int64, Table, tableToIPC, Utf8, vectorFromArray } = requireFromClient("apache-arrow") as any;

/** One request the server received. */
export interface RecordedRequest {
  path: string;
  authorization: string | undefined;
  userAgent: string | undefined;
  /** The Thrift call ("OpenSession", "ExecuteStatement", ...), read from the message header. */
  call: string;
  /** The HTTP status answered. */
  status: number;
  /** OpenSession: the initial namespace. */
  initialNamespace?: { catalogName?: string; schemaName?: string };
  /** ExecuteStatement: the statement as received. */
  statement?: string;
  /** ExecuteStatement: the session it ran on (its handle's guid, hex). */
  session?: string;
  /** ExecuteStatement: the result formats the client accepts (Arrow, and which types as native Arrow rather than text). */
  resultFormat?: { canReadArrowResult: boolean; timestampAsArrow?: boolean; decimalAsArrow?: boolean; complexTypesAsArrow?: boolean };
}

/** A column of a scripted result: its name, TCLIService type and values (strings for BIGINT/DECIMAL/TIMESTAMP). */
export interface ResultColumn {
  name: string;
  type: "INT" | "BIGINT" | "DECIMAL" | "STRING" | "DATE" | "TIMESTAMP";
  values: (string | number | null)[];
  /** DECIMAL only. */
  precision?: number;
  scale?: number;
}

/** What a scripted statement answers: rows, or an error as a warehouse reports one (the operation ends in ERROR). */
export type StatementAnswer = { columns: ResultColumn[] } | { error: string; sqlState: string };

const TYPE_IDS: Record<ResultColumn["type"], number> = {
  INT: types.TTypeId.INT_TYPE,
  BIGINT: types.TTypeId.BIGINT_TYPE,
  DECIMAL: types.TTypeId.DECIMAL_TYPE,
  STRING: types.TTypeId.STRING_TYPE,
  DATE: types.TTypeId.DATE_TYPE,
  TIMESTAMP: types.TTypeId.TIMESTAMP_TYPE,
};

/** The Arrow vector of a column as a warehouse sends it when the client asks for no native Arrow types. */
function arrowVector(c: ResultColumn): unknown {
  switch (c.type) {
    case "INT":
      return vectorFromArray(c.values, new Int32());
    case "BIGINT":
      return vectorFromArray(c.values.map((v) => (v === null ? null : BigInt(v))), new Int64());
    case "DATE":
      return vectorFromArray(c.values.map((v) => (v === null ? null : new Date(`${v}T00:00:00Z`))), new DateDay());
    default:
      // STRING, and DECIMAL/TIMESTAMP as text (useArrowNativeTypes off).
      return vectorFromArray(c.values.map((v) => (v === null ? null : String(v))), new Utf8());
  }
}

/** The Arrow IPC schema message and record-batch message of `columns` (a stream without its end marker, split). */
function arrowPayload(columns: ResultColumn[]): { schema: Buffer; batch: Buffer; rows: number } {
  const vectors = Object.fromEntries(columns.map((c) => [c.name, arrowVector(c)]));
  const table = new Table(vectors);
  const full = Buffer.from(tableToIPC(table, "stream"));
  const empty = Buffer.from(tableToIPC(table.slice(0, 0), "stream"));
  // An empty table's stream is its schema message, (an empty batch,) and the 8-byte end marker.
  const EOS = 8;
  let schemaLength = 0;
  while (schemaLength < empty.length - EOS && empty[schemaLength] === full[schemaLength]) schemaLength++;
  // Align back to the message boundary: the schema message is the longest common prefix ending on 8 bytes.
  schemaLength -= schemaLength % 8;
  return { schema: full.subarray(0, schemaLength), batch: full.subarray(schemaLength, full.length - EOS), rows: table.numRows };
}

/** A TCLIService handle id (the client prints the guid as a UUID, so it is one). */
function handleId(): { guid: Buffer; secret: Buffer } {
  return { guid: Buffer.from(randomUUID().replace(/-/g, ""), "hex"), secret: randomBytes(16) };
}

const OK = { statusCode: types.TStatusCode.SUCCESS_STATUS };

/** The server: start with {@link startDatabricksServer}. */
export interface DatabricksServer {
  host: string;
  port: number;
  /** The self-signed certificate (PEM file) the client is to trust. */
  caCertFile: string;
  /** Every request, in order. */
  requests: RecordedRequest[];
  /** Scripts the answer to the statement `sql` (matched exactly). */
  answer(sql: string, answer: StatementAnswer): void;
  /** Answers the next `count` requests of Thrift call `call` with HTTP `status` (then normally). */
  failNext(call: string, status: number, count?: number): void;
  close(): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1 (a free port), accepting only `Authorization: Bearer <token>` (anything else: 401)
 * on `httpPath` (anything else: 404).
 */
export async function startDatabricksServer(opts: { token: string; httpPath: string }): Promise<DatabricksServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-dbx-"));
  const key = path.join(dir, "key.pem");
  const cert = path.join(dir, "cert.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    { stdio: "ignore" },
  );
  const requests: RecordedRequest[] = [];
  const answers = new Map<string, StatementAnswer>();
  const failures: { call: string; status: number }[] = [];
  const operations = new Map<string, { answer: StatementAnswer | undefined; fetched: boolean }>();
  const opKey = (h: { operationId: { guid: Buffer } }): string => Buffer.from(h.operationId.guid).toString("hex");

  // Every method takes its request: the generated processor calls a one-argument method and awaits what it returns
  // (a method of another arity is called with a callback instead).
  const handler = {
    OpenSession: (req: any) => {
      const last = requests[requests.length - 1]!;
      last.initialNamespace = req.initialNamespace ? { catalogName: req.initialNamespace.catalogName ?? undefined, schemaName: req.initialNamespace.schemaName ?? undefined } : undefined;
      return { status: OK, serverProtocolVersion: types.TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8, sessionHandle: { sessionId: handleId() } };
    },
    CloseSession: (_req: unknown) => ({ status: OK }),
    ExecuteStatement: (req: any) => {
      const last = requests[requests.length - 1]!;
      last.statement = req.statement;
      last.session = Buffer.from(req.sessionHandle.sessionId.guid).toString("hex");
      const native = req.useArrowNativeTypes;
      last.resultFormat = {
        canReadArrowResult: req.canReadArrowResult === true,
        ...(native ? { timestampAsArrow: native.timestampAsArrow, decimalAsArrow: native.decimalAsArrow, complexTypesAsArrow: native.complexTypesAsArrow } : {}),
      };
      const operationHandle = { operationId: handleId(), operationType: types.TOperationType.EXECUTE_STATEMENT, hasResultSet: false };
      const answer = answers.get(req.statement);
      operationHandle.hasResultSet = answer !== undefined && "columns" in answer;
      operations.set(opKey(operationHandle), { answer, fetched: false });
      return { status: OK, operationHandle };
    },
    GetOperationStatus: (req: any) => {
      const op = operations.get(opKey(req.operationHandle));
      if (op?.answer && "error" in op.answer) {
        return { status: OK, operationState: types.TOperationState.ERROR_STATE, errorMessage: op.answer.error, displayMessage: op.answer.error, sqlState: op.answer.sqlState };
      }
      return { status: OK, operationState: types.TOperationState.FINISHED_STATE, hasResultSet: op?.answer !== undefined };
    },
    GetResultSetMetadata: (req: any) => {
      const op = operations.get(opKey(req.operationHandle));
      const columns = op?.answer && "columns" in op.answer ? op.answer.columns : [];
      return {
        status: OK,
        schema: {
          columns: columns.map((c, i) => ({
            columnName: c.name,
            position: i + 1,
            typeDesc: {
              types: [
                {
                  primitiveEntry: {
                    type: TYPE_IDS[c.type],
                    ...(c.type === "DECIMAL" ? { typeQualifiers: { qualifiers: { precision: { i32Value: c.precision ?? 10 }, scale: { i32Value: c.scale ?? 0 } } } } : {}),
                  },
                },
              ],
            },
          })),
        },
        resultFormat: types.TSparkRowSetType.ARROW_BASED_SET,
        lz4Compressed: false,
        arrowSchema: columns.length > 0 ? arrowPayload(columns).schema : undefined,
      };
    },
    FetchResults: (req: any) => {
      const op = operations.get(opKey(req.operationHandle));
      const columns = op?.answer && "columns" in op.answer ? op.answer.columns : [];
      const first = op !== undefined && !op.fetched;
      if (op) op.fetched = true;
      const payload = first && columns.length > 0 ? arrowPayload(columns) : undefined;
      return {
        status: OK,
        hasMoreRows: false,
        results: { startRowOffset: new Int64Value(0), rows: [], arrowBatches: payload ? [{ batch: payload.batch, rowCount: new Int64Value(payload.rows) }] : [] },
      };
    },
    CloseOperation: (_req: unknown) => ({ status: OK }),
    CancelOperation: (_req: unknown) => ({ status: OK }),
  };
  const processor = new TCLIService.Processor(handler);

  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      // TBinaryProtocol (strict): 4 bytes version and type, then the call's name as a length-prefixed string.
      const call = body.length >= 8 ? body.subarray(8, 8 + body.readInt32BE(4)).toString("utf8") : "";
      const rec: RecordedRequest = { path: req.url ?? "", authorization: req.headers.authorization, userAgent: req.headers["user-agent"], call, status: 200 };
      requests.push(rec);
      const reply = (status: number, text = ""): void => {
        rec.status = status;
        res.writeHead(status, { "Content-Type": "text/plain" });
        res.end(text);
      };
      if (rec.path !== opts.httpPath) return reply(404, "no such endpoint");
      if (rec.authorization !== `Bearer ${opts.token}`) return reply(401, "Invalid access token.");
      const failure = failures.findIndex((f) => f.call === call);
      if (failure >= 0) {
        const [f] = failures.splice(failure, 1);
        return reply(f!.status, "TEMPORARILY_UNAVAILABLE: the SQL warehouse is starting");
      }
      thrift.TBufferedTransport.receiver((transportWithData: any) => {
        const input = new thrift.TBinaryProtocol(transportWithData);
        const output = new thrift.TBinaryProtocol(
          new thrift.TBufferedTransport(undefined, (buf: Buffer) => {
            res.writeHead(200, { "Content-Type": "application/x-thrift" });
            res.end(buf);
          }),
        );
        processor.process(input, output);
      })(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: "127.0.0.1",
    port: (server.address() as AddressInfo).port,
    caCertFile: cert,
    requests,
    answer: (sql, a) => void answers.set(sql, a),
    failNext: (call, status, count = 1) => {
      for (let i = 0; i < count; i++) failures.push({ call, status });
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
