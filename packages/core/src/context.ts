import { readPluginOptions, resolveConfig, type Config, type SharedOptions } from './config';
import { startHashWorker } from './digest';
import { Resolver } from './fingerprint';
import { originUrl, repositoryRoot } from './git';
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
  /** Hash inputs on a second thread as well: worth it for many images at once. */
  hashingThread?: boolean;
}

export async function loadContext(options: ContextOptions): Promise<MzbuildContext> {
  // Started first, so that the thread is up by the time the inputs are known.
  const hashWorker = options.hashingThread ? startHashWorker() : undefined;
  const root = await repositoryRoot(options.cwd);
  // The configuration may ask git for the origin remote: let that run beside the listing.
  const [repository, config] = await Promise.all([
    loadRepository(root),
    resolveConfig({
      flags: options.flags,
      env: options.env,
      pluginOptions: options.pluginOptions ?? readPluginOptions(options.cwd, root),
      originUrl: () => originUrl(root),
    }),
  ]);
  return { repository, config, resolver: new Resolver(repository, hashWorker) };
}
