/** `mzimage explain`: why an image is not reused — its fingerprint now and at another revision (--since) or in a published image (--against), and the inputs, configuration and dependencies that differ. */
import type { MzbuildContext } from '../context';
import { explainAgainst } from '../explain/against';
import type { Explanation } from '../explain/compare';
import { formatExplanations } from '../explain/format';
import { explainSince } from '../explain/run';
import { findImages } from '../repository';
import type { Invocation } from './args';

export async function explainCommand(context: MzbuildContext, invocation: Invocation): Promise<string> {
  const format = (explanations: Explanation[]) => (invocation.json ? `${JSON.stringify(explanations, null, 2)}\n` : formatExplanations(explanations));
  const targets = invocation.all ? context.repository.images : findImages(context.repository, invocation.images);
  if (invocation.against === undefined) return format(await explainSince(context, targets, invocation.since));
  try {
    return format(await explainAgainst(context, targets, invocation.against));
  } finally {
    // Saves the signatures verified, and lets the registry's connections go.
    await context.close();
  }
}
