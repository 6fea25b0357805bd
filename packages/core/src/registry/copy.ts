// Copying an image or an index from one repository to another, registry to registry, without an engine.
import { UserError } from '../errors';
import type { BlobTransfers } from './blob-transfer';
import { operation } from './errors';
import { getManifest, manifestDigest, manifestExists, putManifest } from './manifest-requests';
import { isForeignLayer, isManifestType, parseManifest, type Descriptor, type Manifest } from './manifests';
import { formatReference, manifestReference, parseReference } from './reference';
import { routeOf, type Route } from './scopes';
import type { RegistrySession } from './session';

/** What copies (and indexes, which copy what they list) work with: a client's requests and its blob transfers. */
export interface CopyContext {
  session: RegistrySession;
  blobs: BlobTransfers;
}

/** Indexes of indexes are legal, but deeper than this is a mistake (or a loop). */
const MAX_DEPTH = 4;

/**
 * Copies an image (or an index, with every manifest it lists) from one registry repository to
 * another without an engine: the destination gets every blob it lacks (mounted from the source
 * repository on the same registry, streamed otherwise), then the child manifests by digest, and
 * the top manifest under the destination tag last, so that a copy that fails at any point leaves
 * no tag behind. A destination tag that already names the same digest means there is nothing to
 * do, and nothing is written.
 */
export async function copyImage(ctx: CopyContext, from: string, to: string): Promise<void> {
  const { session } = ctx;
  const src = parseReference(from);
  const dst = parseReference(to);
  const route = routeOf(src, dst);
  const copy = operation(session.secrets, `copy ${from} to ${to}`);
  return copy.within(async () => {
    const top = await getManifest(session, src, manifestReference(src), route.srcScope);
    if (!top) throw copy.fail(`${formatReference(src)} does not exist`);
    if (dst.digest !== undefined && dst.digest !== top.digest) throw copy.fail(`the source's digest is ${top.digest}, not ${dst.digest}`);
    // Under the destination's tag; a destination named by digest alone is put under its digest.
    const target = dst.tag ?? dst.digest!;
    if ((await manifestDigest(session, dst, target, route.dstScope)) === top.digest) return;
    await copyContent(ctx, route, top);
    await putManifest(session, dst, target, top, route.dstScope);
  });
}

/**
 * Makes sure the destination repository has everything `top` refers to, recursively: its blobs,
 * and (for an index) its child manifests by digest, children before the indexes that list them.
 * `top` itself is not written. Everything is read from the source before anything is written.
 */
export async function copyContent(ctx: CopyContext, route: Route, top: Manifest): Promise<void> {
  const { session } = ctx;
  const { manifests, blobs } = await collect(session, route, top);

  await settled([...blobs.values()].map((blob) => ctx.blobs.ensure(route, blob)));

  // A registry takes an index only once every manifest it lists is there: the lowest first.
  const heights = [...new Set([...manifests.values()].map((m) => m.height))].sort((a, b) => a - b);
  for (const height of heights) {
    const level = [...manifests.values()].filter((m) => m.height === height);
    await settled(
      level.map(async ({ manifest }) => {
        if (await manifestExists(session, route.dst, manifest.digest, route.dstScope)) return;
        await putManifest(session, route.dst, manifest.digest, manifest, route.dstScope);
      }),
    );
  }
}

interface Collected {
  /** Every manifest below the top, by digest, with its height: 0 for an image, 1 + its children's for an index. */
  manifests: Map<string, { manifest: Manifest; height: number }>;
  /** Every blob to have in the destination, by digest. */
  blobs: Map<string, Descriptor>;
}

async function collect(session: RegistrySession, route: Route, top: Manifest): Promise<Collected> {
  const manifests = new Map<string, { manifest: Manifest; height: number }>();
  const fetching = new Map<string, Promise<number>>();
  const blobs = new Map<string, Descriptor>();
  const where = (digest: string) => `${route.src.registry}/${route.src.repository}@${digest}`;

  const visit = async (manifest: Manifest, depth: number): Promise<number> => {
    let content;
    try {
      content = parseManifest(manifest);
    } catch (error) {
      throw new UserError(`the manifest ${where(manifest.digest)} cannot be copied: ${(error as Error).message}`);
    }
    if (content.kind === 'image') {
      for (const blob of [content.config, ...content.layers.filter((layer) => !isForeignLayer(layer))]) blobs.set(blob.digest, blob);
      return 0;
    }
    if (depth >= MAX_DEPTH) throw new UserError(`the index ${where(manifest.digest)} nests indexes more than ${MAX_DEPTH} deep`);
    const heights = await Promise.all(
      content.manifests.map((child) => {
        let pending = fetching.get(child.digest);
        if (!pending) {
          pending = (async () => {
            if (!isManifestType(child.mediaType)) {
              throw new UserError(`the index ${where(manifest.digest)} lists ${child.digest} of type ${child.mediaType}, which is not an image or an index`);
            }
            const fetched = await getManifest(session, route.src, child.digest, route.srcScope);
            if (!fetched) throw new UserError(`the index ${where(manifest.digest)} lists ${child.digest}, which the registry does not have`);
            const height = await visit(fetched, depth + 1);
            manifests.set(child.digest, { manifest: fetched, height });
            return height;
          })();
          fetching.set(child.digest, pending);
        }
        return pending;
      }),
    );
    return 1 + Math.max(0, ...heights);
  };
  // Every fetch settles before a failure is reported, so that nothing runs on behind the caller.
  await settled([visit(top, 0)]);
  await settled([...fetching.values()]);
  return { manifests, blobs };
}

/** Waits for every task, then throws the first failure: no task is left running behind an error. */
export async function settled<T>(tasks: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
