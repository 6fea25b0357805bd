import type { Worker } from 'node:worker_threads';
import { base32 } from './base32';
import { imageReference, type Config } from './config';
import { fullDigest, selfDigest } from './digest';
import { FileHasher } from './file-hasher';
import type { HashCache } from './hash-cache';
import { InputIndex } from './inputs';
import { sortUtf8 } from './paths';
import { dependencyOrder, type Image, type Repository } from './repository';

/** An image with its fingerprint computed for one configuration. */
export interface ResolvedImage {
  image: Image;
  /** Sorted root-relative input paths (the image's own, not its dependencies'). */
  inputs: string[];
  /** The 20-byte SHA-1 that dependents fold in. */
  raw: Buffer;
  /** base32 of `raw`: 32 characters. */
  fingerprint: string;
  /** `<registry>/<prefix><name>:mzbuild-<fingerprint>`. */
  reference: string;
}

/**
 * Resolves a set of images against one configuration: fingerprints and references for the
 * targets and everything they build on, in dependency order. Files are read once per resolver,
 * so resolving several configurations of the same tree hashes each file once.
 */
export class Resolver {
  readonly inputs: InputIndex;
  private readonly hasher: FileHasher;

  /**
   * `cache` remembers hashes between runs; `hashingThread` lets a second thread hash large
   * batches (a worker from startHashWorker() is used as it is).
   */
  constructor(
    readonly repository: Repository,
    { cache, hashingThread = false }: { cache?: HashCache; hashingThread?: boolean | Worker | undefined } = {},
  ) {
    this.inputs = new InputIndex(repository);
    this.hasher = new FileHasher(repository.root, cache, hashingThread);
  }

  /** How many input files were read and hashed, and how many the cache answered for. */
  get hashCounts(): { hashed: number; cached: number } {
    return { ...this.hasher.counts };
  }

  /** Remembers this run's hashes for the next (a no-op without a persistent cache). */
  saveCache(): void {
    this.hasher.saveCache(new Set(this.repository.files));
  }

  async resolve(targets: Iterable<Image>, config: Config): Promise<ResolvedImage[]> {
    const images = dependencyOrder(targets, this.repository.byName);
    await this.hasher.prefetch(images.flatMap((image) => this.inputs.inputsOf(image)));
    const resolved = new Map<string, ResolvedImage>();
    for (const image of images) {
      const inputs = this.inputs.inputsOf(image);
      const self = selfDigest(inputs, this.hasher, image.manifest.preImages, config);
      const raw = fullDigest(self, image.dependencies.map((name) => ({ name, raw: resolved.get(name)!.raw })));
      const fingerprint = base32(raw);
      resolved.set(image.name, { image, inputs, raw, fingerprint, reference: imageReference(config, image.name, fingerprint) });
    }
    return [...resolved.values()];
  }

  /** Input files of the image and of every image it builds on, sorted. */
  transitiveInputs(image: Image): string[] {
    const files = new Set<string>();
    for (const each of dependencyOrder([image], this.repository.byName)) for (const f of this.inputs.inputsOf(each)) files.add(f);
    return sortUtf8(files);
  }
}
