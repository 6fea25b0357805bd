/** Resolves images to fingerprints and references for one configuration, hashing each input file once. */
import type { Worker } from 'node:worker_threads';
import { base32 } from './base32';
import { imageReference, type Compat, type Config, type FingerprintConfig } from './config';
import { BufferedHash } from './buffered-hash';
import { configSalt, fullDigest, preImageExtra, selfDigest } from './digest';
import { FileHasher, type FileRecord, type InputRecords } from './file-hasher';
import type { FileStats } from './file-stats';
import type { HashCache } from './hash-cache';
import { InputIndex, type InputGroup } from './inputs';
import type { ModelCache } from './model-cache';
import { sortUtf8 } from './paths';
import { dependencyOrder, type Image, type Repository } from './repository';
import { timings } from './timings';

/** An image with its fingerprint computed for one configuration. */
export interface ResolvedImage {
  image: Image;
  /** Sorted root-relative input paths (the image's own, not its dependencies'); computed when first read. */
  readonly inputs: string[];
  /** The 20-byte SHA-1 that dependents fold in. */
  raw: Buffer;
  /** base32 of `raw`: 32 characters. */
  fingerprint: string;
  /** `<registry>/<prefix><name>:mzbuild-<fingerprint>`. */
  reference: string;
}

export interface ResolverOptions {
  /** Remembers file hashes between runs. */
  cache?: HashCache;
  /** Lets a second thread hash large batches (a worker from startHashWorker() is used as it is). */
  hashingThread?: boolean | Worker | undefined;
  /** Remembers self digests between runs, by the digests of the input groups they were computed from. */
  modelCache?: ModelCache;
  /** lstat answers shared with the rest of the run. */
  stats?: FileStats;
  /** Where the inputs' records come from, if not the working tree (a commit's tree, for `--rev`). */
  records?: InputRecords;
}

/**
 * Resolves a set of images against one configuration: fingerprints and references for the
 * targets and everything they build on, in dependency order. Files are read once per resolver,
 * so resolving several configurations of the same tree hashes each file once.
 *
 * Work per file is done once per file, not once per image that takes it: files are hashed, and
 * each input group digested, once; with a model cache, an image whose groups all digest as they
 * did on an earlier run gets the self digest of that run without its inputs being sorted or
 * hashed again. A self digest is a function of the groups' paths and records, the pre-images and
 * the configuration, which is all the key holds, so a remembered one cannot be stale.
 */
export class Resolver {
  readonly inputs: InputIndex;
  private readonly hasher: InputRecords;
  private readonly modelCache: ModelCache | undefined;
  private readonly groupDigests = new Map<string, Buffer>();

  constructor(
    readonly repository: Repository,
    { cache, hashingThread = false, modelCache, stats, records }: ResolverOptions = {},
  ) {
    this.inputs = new InputIndex(repository);
    this.hasher = records ?? new FileHasher(repository.root, cache, hashingThread, stats);
    this.modelCache = modelCache;
  }

  /** How many input files were read and hashed, and how many the cache answered for. */
  get hashCounts(): { hashed: number; cached: number } {
    return { ...this.hasher.counts };
  }

  /** Remembers this run's hashes and digests for the next (a no-op without persistent caches). */
  saveCache(): void {
    this.hasher.saveCache(this.repository.files);
    this.modelCache?.save({ pruneImages: true });
  }

  async resolve(targets: Iterable<Image>, config: Config): Promise<ResolvedImage[]> {
    const images = dependencyOrder(targets, this.repository.byName);
    const groups = new Map<string, InputGroup>();
    for (const image of images) for (const group of this.inputs.groupsOf(image, config.compat)) groups.set(group.key, group);
    await this.hasher.prefetch(filesOf(groups.values()));
    return timings.time('resolve', () => {
      const resolved = new Map<string, ResolvedImage>();
      const index = this.inputs;
      let remembered = 0;
      for (const image of images) {
        const { digest: self, cached } = this.selfDigestOf(image, config);
        if (cached) remembered++;
        const raw = fullDigest(self, image.dependencies.map((name) => ({ name, raw: resolved.get(name)!.raw })));
        const fingerprint = base32(raw);
        const reference = imageReference(config, image.name, fingerprint);
        resolved.set(image.name, {
          image,
          get inputs() {
            return index.inputsOf(image, config.compat);
          },
          raw,
          fingerprint,
          reference,
        });
      }
      timings.note('resolve', `${images.length} images, ${remembered} self digests remembered, ${groups.size} input groups`);
      return [...resolved.values()];
    });
  }

  /** The mode and content hash of an input of a resolved image (read when it was resolved). */
  record(path: string): FileRecord {
    return this.hasher.record(path);
  }

  /** Input files of the image and of every image it builds on, in fingerprint mode `mode`, sorted. */
  transitiveInputs(image: Image, mode: Compat): string[] {
    const files = new Set<string>();
    for (const each of dependencyOrder([image], this.repository.byName)) for (const f of this.inputs.inputsOf(each, mode)) files.add(f);
    return sortUtf8(files);
  }

  private selfDigestOf(image: Image, config: FingerprintConfig): { digest: Buffer; cached: boolean } {
    const compute = () => selfDigest(this.inputs.inputsOf(image, config.compat), this.hasher, image.manifest.preImages, config);
    if (!this.modelCache) return { digest: compute(), cached: false };
    const groups = [...this.inputs.groupsOf(image, config.compat)].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const digests = groups.map((group) => this.groupDigest(group)); // before the key: BufferedHash instances may not interleave
    const key = new BufferedHash().text('self digest 1\0');
    groups.forEach((group, i) => key.text(`${Buffer.byteLength(group.key)}:${group.key}`).bytes(digests[i]!));
    for (const step of image.manifest.preImages) key.text(preImageExtra(step, config)).byte(0);
    const memo = key.text(configSalt(config)).digest().toString('hex');
    const remembered = this.modelCache.selfDigest(memo);
    if (remembered) return { digest: remembered, cached: true };
    const digest = compute();
    this.modelCache.rememberSelfDigest(memo, digest);
    return { digest, cached: false };
  }

  /** sha1 over the group's paths and their records, in the group's order: once per group and run. */
  private groupDigest(group: InputGroup): Buffer {
    let digest = this.groupDigests.get(group.key);
    if (!digest) {
      const out = new BufferedHash();
      for (const path of group.files) {
        const record = this.hasher.record(path);
        out.text(path).byte(0).uint16(record.mode & 0xffff).bytes(record.sha1);
      }
      digest = out.digest();
      this.groupDigests.set(group.key, digest);
    }
    return digest;
  }
}

function* filesOf(groups: Iterable<InputGroup>): Iterable<string> {
  for (const group of groups) yield* group.files;
}
