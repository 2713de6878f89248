/**
 * Where the tests' Spark Thrift server is (scripts/services.sh up spark), and whether Spark tests run: where it
 * answers, and always with CI set (.ci/run starts it, so there a missing server is a failure, not a skip).
 */
import net from "node:net";
import { isCi } from "../../setup/postgres.js";

export const SPARK_HOST = process.env["OMOPETL_TEST_SPARK_HOST"] ?? "127.0.0.1";
export const SPARK_PORT = Number(process.env["OMOPETL_TEST_SPARK_PORT"] ?? 10000);

function answers(h: string, p: number, ms = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: h, port: p });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(ms, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/** True when the Spark tests run: the server answers, or CI is set. */
export const sparkRunsHere = (await answers(SPARK_HOST, SPARK_PORT)) || isCi();
