// `mzimage cache-server`: Nx's remote cache served from the configured registry, until a signal (or, when asked, the end of standard input) stops it.
import { startCacheServer, cacheRepository, tuneForStreaming, DEFAULT_MAX_BYTES, parseListen, parseSize } from '../cache-server';
import { resolveConfig } from '../config';
import { readPluginOptions } from '../plugin-options';
import { originUrl, repositoryRoot } from '../git';
import { cacheFile } from '../hash-cache';
import { RegistryClient } from '../registry/client';
import { readPublicKeys, readSigningKey } from '../signing/keys';
import { VerifiedCache } from '../signing/verified-cache';
import type { Invocation } from './args';

/**
 * Starts the server and prints its URL as the first line of standard output (what a CI step or
 * the Nx plugin reads), then serves until SIGINT or SIGTERM, or standard input's end with
 * --until-stdin-closes (how the plugin's server goes with the Nx run that started it, even one
 * that is killed). The configuration is every command's: flags, the environment, nx.json.
 */
export async function cacheServer(invocation: Invocation, cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  const flags = invocation.cacheServer ?? { readFrom: [], untilStdinCloses: false };
  // Outside a git repository (a CI step in a bare directory), the directory is the root.
  const root = await repositoryRoot(cwd).catch(() => cwd);
  const config = await resolveConfig({ flags: invocation.flags, env, pluginOptions: readPluginOptions(cwd, root), cwd, root, originUrl: () => originUrl(root) });
  const repository = cacheRepository(flags.repository, env, config);
  const listen = parseListen(flags.listen ?? '127.0.0.1:0');
  const maxBytes = flags.maxArtifactSize === undefined ? DEFAULT_MAX_BYTES : parseSize(flags.maxArtifactSize);
  const trustedKeys = (await Promise.all(config.trustedKeys.map((path) => readPublicKeys({ path })))).flat();
  const source = env['MZBUILD_SIGNING_KEY'];
  const signingKey = source ? await readSigningKey(source, env['MZBUILD_SIGNING_KEY_PASSWORD'], { label: 'MZBUILD_SIGNING_KEY' }) : undefined;
  const verifiedCache = VerifiedCache.open(cacheFile(root, 'verified-signatures', 'json', env));

  // Before the client's first connection compiles undici's parser: this process serves and nothing else.
  const collectGarbage = tuneForStreaming();
  const warn = (message: string) => process.stderr.write(`mzimage: warning: ${message}\n`);
  // A Retry-After longer than a few seconds is a registry as good as down for a task waiting on it.
  const client = new RegistryClient({ env, warn, maxRetryAfterMs: 5_000 });
  const token = env['MZBUILD_CACHE_TOKEN'] || undefined;
  const server = await startCacheServer({
    client,
    listen,
    repository,
    readFrom: flags.readFrom,
    maxBytes,
    ...(token ? { token } : {}),
    ...(signingKey ? { signingKey } : {}),
    trustedKeys,
    verifiedCache,
    warn,
    ...(collectGarbage ? { collectGarbage } : {}),
  });
  process.stdout.write(`${server.url}\n`);
  const trust = trustedKeys.length > 0 ? `; serving only entries signed by ${trustedKeys.length === 1 ? 'the trusted key' : `one of ${trustedKeys.length} trusted keys`}` : '';
  process.stderr.write(`mzimage: Nx remote cache in ${repository}${signingKey ? ', signing what it stores' : ''}${trust}\n`);

  await stopped(flags.untilStdinCloses);
  await server.close();
  verifiedCache.save();
  await client.close();
  const summary = server.summary();
  if (summary) process.stderr.write(`mzimage: cache-server: ${summary}\n`);
  return 0;
}

function stopped(untilStdinCloses: boolean): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    if (untilStdinCloses) {
      process.stdin.on('end', () => resolve());
      process.stdin.on('close', () => resolve());
      process.stdin.resume();
    }
  });
}
