/** An image's reference pinned to a digest, for pulls that must get the very manifest that was verified. */
import { parseReference } from '../registry/reference';

/** `registry/repository@digest` for `registry/repository:tag`: the verified manifest, whatever the tag names by now. */
export function pinnedReference(reference: string, digest: string): string {
  const ref = parseReference(reference);
  const name = ref.tag !== undefined && reference.endsWith(`:${ref.tag}`) ? reference.slice(0, -(ref.tag.length + 1)) : reference.split('@')[0]!;
  return `${name}@${digest}`;
}
