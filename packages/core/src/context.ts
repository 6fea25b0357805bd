/**
 * The session of one command or one Nx batch: the repository, its configuration and resolver,
 * and the environment, warnings, registry client and docker command that everything below uses.
 * It is made once, by the CLI or an executor, and passed down; nothing below re-reads
 * `process.env` or makes a registry client of its own.
 */
import { resolveConfig, type Config, type SharedOptions } from './config';
import { dockerCommand } from './docker/client';
import { startHashWorker } from './file-hasher';
import { FileStats, statWhile } from './file-stats';
import { cacheFile, HashCache } from './hash-cache';
import { Resolver } from './fingerprint';
import { listVisibleFiles, originUrl, repositoryRoot } from './git';
import { ModelCache } from './model-cache';
import { readPluginOptions } from './plugin-options';
import type { RegistryClient } from './registry/client';
import { loadRepository, type Repository } from './repository';
import { readPublicKeys, readSigningKey, type PublicKey, type SigningKey } from './signing/keys';
import { VerifiedCache } from './signing/verified-cache';
import { timings } from './timings';

export interface MzbuildContext {
  repository: Repository;
  config: Config;
  resolver: Resolver;
  /** The environment of this run: configuration, credentials, and what child processes get. */
  env: NodeJS.ProcessEnv;
  /** Tells the user something went wrong that the run works around (a registry that cannot be asked). */
  warn: (message: string) => void;
  /** The run's registry client, made on first use (it loads undici), with its connections and tokens. */
  registry: () => RegistryClient;
  /** The docker command for plain commands (images, pull, push, tag, run): `$MZBUILD_DOCKER` or `docker`. */
  docker: string;
  /** The public keys of `config.trustedKeys`, read on first use; none: signatures are not asked for. */
  trustedKeys: () => Promise<PublicKey[]>;
  /** The key of `MZBUILD_SIGNING_KEY` (a path or PEM text; `MZBUILD_SIGNING_KEY_PASSWORD`), read on first use; undefined: nothing is signed. */
  signingKey: () => Promise<SigningKey | undefined>;
  /** Signatures verified before, across runs (in the user's cache directory when the cache persists); saved by close(). */
  verifiedCache: () => VerifiedCache;
  /** Saves the verified-signature cache and closes the registry client's connections, if one was made. */
  close: () => Promise<void>;
}

export interface ContextOptions {
  cwd: string;
  /** Flags or executor options; they override everything else. */
  flags?: SharedOptions;
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default: nothing is said. */
  warn?: (message: string) => void;
  /** The plugin's options; read from the nearest nx.json when not given. */
  pluginOptions?: SharedOptions;
  /** Hash large batches of inputs on a second thread as well. */
  hashingThread?: boolean;
  /**
   * Remember between runs (in the user's cache directory) file hashes, parsed manifests, the
   * Cargo model and self digests.
   */
  persistentCache?: boolean;
  /** A commit to read the repository from, instead of the working tree (`--rev`). */
  rev?: string;
  /** The configuration, as another session of the same run resolved it (a second tree to compare with). */
  config?: Config;
}

export async function loadContext(options: ContextOptions): Promise<MzbuildContext> {
  const env = options.env ?? process.env;
  const root = await repositoryRoot(options.cwd);
  if (options.rev !== undefined) return loadContextAt(root, options.rev, options, env);
  // git lists the files while this process reads its caches and the configuration.
  const listing = timings.timeAsync('git listing', () => listVisibleFiles(root));
  listing.catch(() => {}); // awaited below; a failure before then must not go unhandled
  const stats = new FileStats(root);
  const modelCache = options.persistentCache ? timings.time('caches', () => ModelCache.forRepository(root, env)) : ModelCache.none();
  const pluginOptions = options.pluginOptions ?? readPluginOptions(options.cwd, root, modelCache);
  // The configuration may ask git for the origin remote: that runs beside the listing too.
  const config = resolveConfig({ flags: options.flags, env, pluginOptions, cwd: options.cwd, root, originUrl: () => originUrl(root) });
  const cache = options.persistentCache ? timings.time('caches', () => HashCache.forRepository(root, env)) : undefined;
  // A thread takes ~40 ms to start: where nothing is cached yet (a first run, with every input to
  // read), start it now, so that it is ready by the time the inputs are known.
  const hashingThread = options.hashingThread && !cache?.size ? startHashWorker() : options.hashingThread;
  // The files the last run hashed are most likely this run's inputs: stat them while git works.
  const whileListing = cache && ((done: Promise<unknown>) => timings.timeAsync('stat', () => statWhile(stats, cache.paths(), done)));
  // Awaited together, as before: a configuration error is reported before a repository's.
  const [repository, resolved] = await Promise.all([loadRepository(root, { cache: modelCache, stats, listing, whileListing }), config]);
  const resolver = new Resolver(repository, { cache, hashingThread, modelCache: options.persistentCache ? modelCache : undefined, stats });
  return session(root, repository, resolved, resolver, options, env);
}

/**
 * The session over the tree of commit `rev`, read from git objects alone (revision/): the
 * configuration is the same as for the working tree (flags, environment, the nx.json of the
 * working tree), so that fingerprints of two trees compare.
 */
async function loadContextAt(root: string, rev: string, options: ContextOptions, env: NodeJS.ProcessEnv): Promise<MzbuildContext> {
  const { RevisionSnapshot } = require('./revision/snapshot') as typeof import('./revision/snapshot');
  // A second session of a run is given the first's configuration: nx.json is not read again.
  const config = options.config ?? resolveAt(root, options, env);
  const { BlobHashes } = require('./revision/blob-hashes') as typeof import('./revision/blob-hashes');
  const blobHashes = options.persistentCache ? BlobHashes.open(cacheFile(root, 'blob-hashes', 'txt', env)) : BlobHashes.inMemory();
  const [snapshot, resolved] = await Promise.all([RevisionSnapshot.load(root, rev, blobHashes), config]);
  const repository = await loadRepository(root, { tree: snapshot });
  return session(root, repository, resolved, new Resolver(repository, { records: snapshot }), options, env);
}

function resolveAt(root: string, options: ContextOptions, env: NodeJS.ProcessEnv): Promise<Config> {
  const modelCache = options.persistentCache ? ModelCache.forRepository(root, env) : ModelCache.none();
  const pluginOptions = options.pluginOptions ?? readPluginOptions(options.cwd, root, modelCache);
  return resolveConfig({ flags: options.flags, env, pluginOptions, cwd: options.cwd, root, originUrl: () => originUrl(root) });
}

function session(root: string, repository: Repository, resolved: Config, resolver: Resolver, options: ContextOptions, env: NodeJS.ProcessEnv): MzbuildContext {
  const warn = options.warn ?? (() => undefined);
  let client: RegistryClient | undefined;
  let verified: VerifiedCache | undefined;
  const trusted = lazy(async () => (await Promise.all(resolved.trustedKeys.map((path) => readPublicKeys({ path })))).flat());
  const signing = lazy(() => signingKeyOf(env));
  return {
    repository,
    config: resolved,
    resolver,
    trustedKeys: trusted,
    signingKey: signing,
    verifiedCache: () =>
      (verified ??= options.persistentCache ? VerifiedCache.open(cacheFile(root, 'verified-signatures', 'json', env)) : VerifiedCache.inMemory()),
    env,
    warn,
    // Required when first asked for: the registry client (and undici) stay out of a run that needs
    // no registry, and out of the CLI's warm bundle (tools/bundle.js).
    registry: () => (client ??= new (require('./registry/client') as typeof import('./registry/client')).RegistryClient({ env, warn })),
    docker: dockerCommand(env),
    close: async () => {
      verified?.save();
      await client?.close();
    },
  };
}

/** The environment's signing key; its text and password never reach a message (readSigningKey names only the variable). */
async function signingKeyOf(env: NodeJS.ProcessEnv): Promise<SigningKey | undefined> {
  const source = env['MZBUILD_SIGNING_KEY'];
  if (source === undefined || source === '') return undefined;
  return readSigningKey(source, env['MZBUILD_SIGNING_KEY_PASSWORD'], { label: 'MZBUILD_SIGNING_KEY' });
}

/** A value made on first use and shared after, so that a key is read (and a password tried) once per run. */
function lazy<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= make());
}
