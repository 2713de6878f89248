/**
 * The secret provider API. Connection settings of a target may reference secrets as `${scheme:reference}`; a secret
 * provider resolves the references of one scheme. `env` and `file` are built in; others come from the configuration's
 * `secrets:` list: a package `omopetl-secrets-<x>` / `@scope/omopetl-secrets-<x>`, or a module path, exporting a
 * {@link SecretProvider} (as `default` or `secretProvider`, or a function returning one).
 *
 * References are resolved only when a connection is opened (never by compile, validate or a dry run), and every
 * resolved value is masked in everything omopetl prints or stores.
 */

/** Bumped on any incompatible change of this file; secret providers declare the version they implement. */
export const SECRET_PROVIDER_API_VERSION = 1 as const;

/** Where a reference is resolved. */
export interface SecretContext {
  /** The configuration's folder: relative file references resolve against it. */
  configDir: string;
  /** The target being connected to. */
  target: string;
  /** Where the reference is, e.g. `targets.warehouse.password` (for messages). */
  where: string;
}

/** Resolves the references of one scheme. */
export interface SecretProvider {
  /** The scheme, lower case: `vault` handles `${vault:...}`. */
  scheme: string;
  apiVersion: typeof SECRET_PROVIDER_API_VERSION;
  /** One line for people. */
  description?: string;
  /**
   * The secret `ref` names (the text after `scheme:`). Rejecting (with a message that does not contain the secret)
   * makes the connection fail with SECRET_UNRESOLVED and that message.
   */
  resolve(ref: string, context: SecretContext): Promise<string>;
}
