/** `mzimage explain`: why an image is not reused — its fingerprint now and at another revision, and the inputs, configuration and dependencies that differ. */
import type { MzbuildContext } from '../context';
import { formatExplanations } from '../explain/format';
import { explainSince } from '../explain/run';
import { findImages } from '../repository';
import type { Invocation } from './args';

export async function explainCommand(context: MzbuildContext, invocation: Invocation): Promise<string> {
  const targets = invocation.all ? context.repository.images : findImages(context.repository, invocation.images);
  const explanations = await explainSince(context, targets, invocation.since);
  return invocation.json ? `${JSON.stringify(explanations, null, 2)}\n` : formatExplanations(explanations);
}
