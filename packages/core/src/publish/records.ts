/**
 * Inputs records beside published images (explain/record.ts): written to each registry an image
 * is published to, after the image and its signature, and only where the tag does not already
 * hold the very bytes this run would write, so that publishing again writes nothing.
 */
import type { MzbuildContext } from '../context';
import { UserError, isUserError } from '../errors';
import { encodeRecord, recordManifest, recordReference } from '../explain/record';
import { imageStates, type ImageState } from '../explain/state';
import { digestOf } from '../registry/manifests';
import type { SigningKey } from '../signing/keys';
import type { PublishEntry, PublishPlan } from './plan';

/** Whether publishing writes an entry's record: everything it publishes but what a run with a cache registry only reads. */
export function recordsFor(entry: PublishEntry): boolean {
  return entry.action !== 'not published' && !entry.readOnly;
}

/** The states of the plan's images that get records, by name. */
export async function recordStates(context: MzbuildContext, plan: PublishPlan): Promise<Map<string, ImageState>> {
  const images = plan.entries.filter(recordsFor).map((entry) => context.repository.byName.get(entry.name)!);
  return images.length === 0 ? new Map() : imageStates(context, images);
}

/** The record's bytes, and each reference's record tag whose manifest is not those bytes (a GET each). */
async function missingRecords(context: MzbuildContext, entry: PublishEntry, state: ImageState) {
  const layer = encodeRecord(state);
  const manifest = recordManifest(state, layer);
  const digest = digestOf(manifest.bytes);
  const targets = entry.references.map((reference) => recordReference(reference, entry.fingerprint));
  const there = await Promise.all(targets.map((target) => context.registry().getManifest(target)));
  return { layer, manifest, digest, targets, missing: targets.filter((_, i) => there[i]?.digest !== digest) };
}

/**
 * Writes the entry's record where it is missing or differs (a record is a function of the
 * fingerprint's inputs, so one with other bytes is not ours: it is written over), and with a
 * signing key signs it where our signature is not (`sign` writes nothing where it is). Returns
 * the record references written.
 *
 * A failure is the image's failure, though the image is there: a record that silently goes
 * missing leaves `explain --against` with nothing to say about that fingerprint until someone
 * notices. The message says the image is published, and that running again writes the record
 * (everything else is found done).
 */
export async function writeRecords(context: MzbuildContext, entry: PublishEntry, state: ImageState, key: SigningKey | undefined, log: (line: string) => void): Promise<string[]> {
  try {
    const { layer, manifest, digest, targets, missing } = await missingRecords(context, entry, state);
    const registry = context.registry();
    await Promise.all(
      targets.map(async (target) => {
        if (!missing.includes(target)) {
          if (key && (await registry.sign(target, digest, key)).written) log(`signed ${target}`);
          return;
        }
        await registry.ensureSmallBlob(target.slice(0, target.lastIndexOf(':')), layer);
        await registry.writeArtifact(target, manifest, key);
        log(`wrote the inputs record ${target}`);
      }),
    );
    return missing;
  } catch (error) {
    if (!isUserError(error)) throw error;
    throw new UserError(
      `${entry.references.join(', ')} ${entry.references.length === 1 ? 'is' : 'are'} published, but the inputs record could not be written: ${error.message.split('\n')[0]}; ` +
        'run ensure again to write it (explain --against reads it)',
    );
  }
}

/** For a dry run: each entry with the record references publishing would write (`record`). */
export async function planRecords(context: MzbuildContext, plan: PublishPlan): Promise<PublishPlan> {
  const states = await recordStates(context, plan);
  const entries = await Promise.all(
    plan.entries.map(async (entry): Promise<PublishEntry> => {
      const state = states.get(entry.name);
      if (!recordsFor(entry) || !state) return entry;
      return { ...entry, record: (await missingRecords(context, entry, state)).missing };
    }),
  );
  return { ...plan, entries };
}
