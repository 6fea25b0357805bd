import { readPluginOptions, resolveConfig, type Config, type SharedOptions } from './config';
import { Resolver } from './fingerprint';
import { originUrl } from './git';
import { loadRepository, type Repository } from './repository';

/** A repository, the configuration to resolve it with, and a resolver: what every command starts from. */
export interface MzbuildContext {
  repository: Repository;
  config: Config;
  resolver: Resolver;
}

export interface ContextOptions {
  cwd: string;
  /** Flags or executor options; they override everything else. */
  flags?: SharedOptions;
  env?: NodeJS.ProcessEnv;
  /** The plugin's options; read from the nearest nx.json when not given. */
  pluginOptions?: SharedOptions;
}

export async function loadContext(options: ContextOptions): Promise<MzbuildContext> {
  const repository = await loadRepository(options.cwd);
  const config = await resolveConfig({
    flags: options.flags,
    env: options.env,
    pluginOptions: options.pluginOptions ?? readPluginOptions(options.cwd, repository.root),
    originUrl: () => originUrl(repository.root),
  });
  return { repository, config, resolver: new Resolver(repository) };
}
