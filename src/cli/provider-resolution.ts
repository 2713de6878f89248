import type { Provider } from "../providers/provider-api.js";
import type { LoadedConfig } from "./config.js";

/**
 * The composition point between the CLI and the providers: built-in providers by name, and third-party ones named in
 * the config's `providers:` list (resolved from the project directory).
 */
export async function resolveProviderFromConfig(name: string, config: LoadedConfig): Promise<Provider> {
  const { resolveProvider } = await import("../providers/registry.js");
  return resolveProvider(name, { projectDir: config.dir, configured: config.config.providers ?? [] });
}
