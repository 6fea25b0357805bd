import { readPluginOptions, resolveConfig, type Config, type SharedOptions } from './config';
import { startHashWorker } from './file-hasher';
import { HashCache } from './hash-cache';
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
  /** Hash large batches of inputs on a second thread as well. */
  hashingThread?: boolean;
  /** Remember file hashes between runs (in the user's cache directory). */
  persistentCache?: boolean;
}

export async function loadContext(options: ContextOptions): Promise<MzbuildContext> {
  const root = await repositoryRoot(options.cwd);
  const cache = options.persistentCache ? HashCache.forRepository(root, options.env ?? process.env) : undefined;
  // A thread takes ~40 ms to start: where nothing is cached yet (a first run, with every input to
  // read), start it now, so that it is ready by the time the inputs are known.
  const hashingThread = options.hashingThread && !cache?.size ? startHashWorker() : options.hashingThread;
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
  return { repository, config, resolver: new Resolver(repository, { cache, hashingThread }) };
}
