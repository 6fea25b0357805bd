/** Loads what every command starts from: the repository's images, the configuration, and a resolver with the caches of the run. */
import { readPluginOptions, resolveConfig, type Config, type SharedOptions } from './config';
import { startHashWorker } from './file-hasher';
import { FileStats, statWhile } from './file-stats';
import { HashCache } from './hash-cache';
import { Resolver } from './fingerprint';
import { listVisibleFiles, originUrl, repositoryRoot } from './git';
import { ModelCache } from './model-cache';
import { loadRepository, type Repository } from './repository';
import { timings } from './timings';

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
  /**
   * Remember between runs (in the user's cache directory) file hashes, parsed manifests, the
   * Cargo model and self digests.
   */
  persistentCache?: boolean;
}

export async function loadContext(options: ContextOptions): Promise<MzbuildContext> {
  const env = options.env ?? process.env;
  const root = await repositoryRoot(options.cwd);
  // git lists the files while this process reads its caches and the configuration.
  const listing = timings.timeAsync('git listing', () => listVisibleFiles(root));
  listing.catch(() => {}); // awaited below; a failure before then must not go unhandled
  const stats = new FileStats(root);
  const modelCache = options.persistentCache ? timings.time('caches', () => ModelCache.forRepository(root, env)) : ModelCache.none();
  const pluginOptions = options.pluginOptions ?? readPluginOptions(options.cwd, root, modelCache);
  // The configuration may ask git for the origin remote: that runs beside the listing too.
  const config = resolveConfig({ flags: options.flags, env: options.env, pluginOptions, originUrl: () => originUrl(root) });
  const cache = options.persistentCache ? timings.time('caches', () => HashCache.forRepository(root, env)) : undefined;
  // A thread takes ~40 ms to start: where nothing is cached yet (a first run, with every input to
  // read), start it now, so that it is ready by the time the inputs are known.
  const hashingThread = options.hashingThread && !cache?.size ? startHashWorker() : options.hashingThread;
  // The files the last run hashed are most likely this run's inputs: stat them while git works.
  const whileListing = cache && ((done: Promise<unknown>) => timings.timeAsync('stat', () => statWhile(stats, cache.paths(), done)));
  // Awaited together, as before: a configuration error is reported before a repository's.
  const [repository, resolved] = await Promise.all([loadRepository(root, { cache: modelCache, stats, listing, whileListing }), config]);
  const resolver = new Resolver(repository, { cache, hashingThread, modelCache: options.persistentCache ? modelCache : undefined, stats });
  return { repository, config: resolved, resolver };
}
