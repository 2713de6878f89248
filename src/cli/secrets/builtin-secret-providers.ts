import { readFile } from "node:fs/promises";
import path from "node:path";
import { SECRET_PROVIDER_API_VERSION, type SecretProvider } from "./secret-provider-api.js";

/** `${env:NAME}`: an environment variable. */
export const envSecretProvider: SecretProvider = {
  scheme: "env",
  apiVersion: SECRET_PROVIDER_API_VERSION,
  description: "an environment variable: ${env:PGPASSWORD}",
  async resolve(ref) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(ref)) throw new Error(`"${ref}" is not an environment variable name`);
    const v = process.env[ref];
    if (v === undefined) throw new Error(`the environment variable ${ref} is not set`);
    return v;
  },
};

/**
 * `${file:PATH}`: a file's contents without leading and trailing white space (a trailing newline is almost always
 * an accident of how the file was written), as Docker and Kubernetes mount secrets. A relative path is relative to the
 * configuration's folder.
 */
export const fileSecretProvider: SecretProvider = {
  scheme: "file",
  apiVersion: SECRET_PROVIDER_API_VERSION,
  description: "a file's trimmed contents: ${file:/run/secrets/db_password}",
  async resolve(ref, context) {
    if (ref.trim() === "") throw new Error("no file named");
    const file = path.resolve(context.configDir, ref);
    try {
      return (await readFile(file, "utf8")).trim();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(
        code === "ENOENT" ? `no file ${file}` : code === "EACCES" ? `no permission to read ${file}` : code === "EISDIR" ? `${file} is a folder` : `cannot read ${file} (${code ?? "error"})`,
      );
    }
  },
};

/** The secret providers shipped with omopetl. */
export const BUILTIN_SECRET_PROVIDERS: readonly SecretProvider[] = [envSecretProvider, fileSecretProvider];
