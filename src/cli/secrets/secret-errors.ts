import { OmopetlError } from "../../core/diagnostics/diagnostic.js";

/*
 * Errors of secret references and secret providers. One factory per diagnostic code. None of them ever carries a
 * resolved value: they name the reference (`${vault:db/password}`) and where it is, never what it resolves to.
 * All are configuration errors (exit code 2).
 */

const HINT_SYNTAX = 'A reference is ${scheme:reference}, e.g. "${env:PGPASSWORD}" or "${file:/run/secrets/db_password}"; write $${ for a literal ${.';

/** A `${...}` in a target's option that is not a well-formed reference. */
export function secretReferenceInvalid(where: string, problem: string): OmopetlError {
  return new OmopetlError({ code: "SECRET_REFERENCE_INVALID", severity: "error", message: `${where}: ${problem}.`, hint: HINT_SYNTAX }, 2);
}

/** A reference where none may be: options needed before connecting (the provider, schema names). */
export function secretReferenceNotAllowed(where: string, text: string): OmopetlError {
  return new OmopetlError(
    {
      code: "SECRET_REFERENCE_NOT_ALLOWED",
      severity: "error",
      message: `${where} uses ${text}, but references are resolved only when connecting, and this option is needed before (dry runs, SQL text, the run ledger).`,
      hint: "Write the value itself; keep references for connection settings such as url, host, user and password.",
    },
    2,
  );
}

/** A reference whose scheme no built-in or configured secret provider handles. */
export function secretSchemeUnknown(where: string, scheme: string, known: readonly string[], suggestion?: string): OmopetlError {
  return new OmopetlError(
    {
      code: "SECRET_SCHEME_UNKNOWN",
      severity: "error",
      message: `${where} uses the secret scheme "${scheme}", which no secret provider handles.${suggestion ? ` ${suggestion}` : ""}`,
      hint: `Schemes: ${known.join(", ")}. A secret provider is named in the configuration's "secrets:" list (e.g. omopetl-secrets-${scheme}).`,
    },
    2,
  );
}

/** A reference that could not be resolved: an unset variable, an unreadable file, a provider's failure. */
export function secretUnresolved(where: string, text: string, reason: string): OmopetlError {
  return new OmopetlError({ code: "SECRET_UNRESOLVED", severity: "error", message: `${where}: cannot resolve ${text}: ${reason}.` }, 2);
}

/** An entry of `secrets:` that names no file or installed package. */
export function secretProviderNotFound(spec: string, detail: string, hint: string): OmopetlError {
  return new OmopetlError({ code: "SECRET_PROVIDER_NOT_FOUND", severity: "error", message: `secret provider "${spec}" not found: ${detail}.`, hint }, 2);
}

/** An entry of `secrets:` whose module does not export a valid secret provider. */
export function secretProviderInvalid(spec: string, problems: readonly string[]): OmopetlError {
  return new OmopetlError(
    {
      code: "SECRET_PROVIDER_INVALID",
      severity: "error",
      message: `secret provider "${spec}" does not export a valid secret provider: ${problems.join("; ")}.`,
      hint: 'Export { scheme: "vault", apiVersion: 1, resolve(ref) { return Promise<string> } } as default or as "secretProvider".',
    },
    2,
  );
}

/** Two secret providers claim the same scheme. */
export function secretProviderDuplicate(scheme: string, first: string, second: string): OmopetlError {
  return new OmopetlError(
    { code: "SECRET_PROVIDER_DUPLICATE", severity: "error", message: `two secret providers handle the scheme "${scheme}": ${first} and ${second}.`, hint: 'Keep one of them in "secrets:".' },
    2,
  );
}
