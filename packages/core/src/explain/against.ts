/**
 * `explain --against`: each image compared with a published one, through the inputs records in
 * the registry: the target's, then, for each dependency whose fingerprint differs from now's,
 * the dependency's record by the fingerprint its dependent recorded (concurrently, level by level).
 */
import { imageRepository } from '../config';
import type { MzbuildContext } from '../context';
import { UserError } from '../errors';
import type { Image } from '../repository';
import { explain, type Explanation } from './compare';
import { publishedFingerprint, recordedState, repositoryOf } from './published';
import { imageStates, type ImageState } from './state';

const NO_DEPENDENCY_RECORD = 'no inputs record of this fingerprint in the registry';

/**
 * The explanations of `targets` against `against`: a full reference (one image), or a tag of each
 * image's own repository (`latest`, `mzbuild-<fingerprint>`).
 */
export async function explainAgainst(context: MzbuildContext, targets: Image[], against: string): Promise<Explanation[]> {
  const isReference = against.includes('/');
  if (isReference && targets.length !== 1) throw new UserError(`--against ${against} names one published image: give one image with it, or a tag (such as latest)`);
  const now = await imageStates(context, targets);
  // One fetch per record, however many targets reach it.
  const fetched = new Map<string, Promise<ImageState>>();
  const record = (repository: string, image: string, fingerprint: string, missing?: string) => {
    const key = `${repository}:${fingerprint}`;
    if (!fetched.has(key)) fetched.set(key, recordedState(context, repository, image, fingerprint, missing));
    return fetched.get(key)!;
  };
  return Promise.all(
    targets.map(async (image) => {
      const reference = isReference ? against : `${imageRepository(context.config, image.name)}:${against}`;
      const repository = repositoryOf(reference);
      const fingerprint = await publishedFingerprint(context, reference);
      if (fingerprint === undefined) return notFound(image.name, now.get(image.name)!.fingerprint, reference);
      const then = new Map<string, ImageState>([[image.name, await record(repository, image.name, fingerprint)]]);
      // Dependencies live beside the image: its repository with the image's name swapped for theirs.
      const dependencyRepository = (name: string) =>
        repository.endsWith(image.name) ? `${repository.slice(0, -image.name.length)}${name}` : imageRepository(context.config, name);
      let level = [then.get(image.name)!];
      while (level.length > 0) {
        const wanted = level.flatMap((state) =>
          Object.entries(state.dependencies).filter(([name, fp]) => !then.has(name) && now.get(name)?.fingerprint !== fp),
        );
        const states = await Promise.all(wanted.map(([name, fp]) => record(dependencyRepository(name), name, fp, NO_DEPENDENCY_RECORD)));
        level = states.filter((state) => !then.has(state.image));
        for (const state of level) then.set(state.image, state);
      }
      return explain(image.name, (name) => now.get(name), (name) => then.get(name), reference);
    }),
  );
}

function notFound(image: string, fingerprint: string, reference: string): Explanation {
  return { image, fingerprint, against: { fingerprint: null, source: reference }, changed: [], added: [], removed: [], modes: [], config: [], dependencies: [], note: 'not found in the registry' };
}
