/** The mzimage commands that talk to the registry and the engine: plan, acquire, run, ensure, publish-multiarch. */
import { spawnSync } from 'node:child_process';
import { acquireImages, formatPlan, formatSummary, planImages, refusalMessage, resolveSharding, untrustedRefusal } from '../acquire';
import type { MzbuildContext } from '../context';
import { findImages, type Repository } from '../repository';
import { ensurePublished, formatPublishSummary } from '../publish/ensure';
import { formatPublishPlan, planPublish, planSigning } from '../publish/plan';
import { publishMultiArch } from '../publish/multiarch';
import { planRecords } from '../publish/records';
import type { Invocation } from './args';
import { shardMatrix } from './shard-matrix';

/** `plan`, `acquire`, `run`, `ensure`, `publish-multiarch`: they talk to the registry and the engine, and may take a while. */
export async function runImageCommand(context: MzbuildContext, invocation: Invocation): Promise<number> {
  const { repository } = context;
  const targets = invocation.all ? repository.images : findImages(repository, invocation.images);
  // acquire and ensure: the flags, else MZBUILD_SHARD; plan, run and publish-multiarch are never sharded.
  const sharding = invocation.command === 'acquire' || invocation.command === 'ensure' ? resolveSharding(invocation, context.env) : undefined;
  const shardingOption = sharding ? { sharding } : {};
  if (invocation.command === 'ensure') {
    if (invocation.dryRun) {
      // With a signing key, the dry run also says what would be signed; and always, which inputs records would be written.
      const plan = await planRecords(context, await planSigning(context, await planPublish(context, targets, { replaceUntrusted: invocation.replaceUntrusted, ...shardingOption })));
      process.stdout.write(invocation.json ? `${JSON.stringify(plan, null, 2)}\n` : formatPublishPlan(plan));
      return 0;
    }
    const outcomes = await ensurePublished(context, targets, { onLine: prefixed(repository), replaceUntrusted: invocation.replaceUntrusted, ...shardingOption });
    process.stdout.write(invocation.json ? `${JSON.stringify(outcomes, null, 2)}\n` : formatPublishSummary(outcomes));
    return outcomes.some((o) => o.result === 'failed' || o.result === 'skipped') ? 1 : 0;
  }

  if (invocation.command === 'publish-multiarch') {
    const { force, dryRun } = invocation;
    const results = await publishMultiArch(context, targets, invocation.tag!, context.registry(), { force, dryRun });
    // What is signed is said too: in a dry run every index (signed unless it is already), else those this run signed.
    const signed = (r: (typeof results)[number]) => (r.signed && r.signed.length > 0 ? ` (${dryRun ? 'and sign' : 'signed'} ${r.signed.join(', ')})` : '');
    const written = (r: (typeof results)[number]) => (dryRun ? `would write ${r.references.join(', ')}` : r.references.join(', ')) + signed(r);
    if (invocation.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else for (const r of results) process.stdout.write(`${r.name}\t${r.skipped ? `skipped: ${r.skipped}` : written(r)}\n`);
    return 0;
  }

  if (invocation.command === 'plan' && invocation.shards !== undefined) {
    process.stdout.write(`${JSON.stringify(await shardMatrix(context, targets, invocation.shards))}\n`);
    return 0;
  }

  if (invocation.command === 'plan') {
    const plan = await planImages(context, targets);
    process.stdout.write(invocation.json ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
    const refused = plan.filter((e) => e.action === 'refused');
    if (refused.length === 0) return 0;
    const missing = refused.filter((e) => !e.untrusted).map((e) => e.reference);
    if (missing.length > 0) process.stderr.write(`mzimage: ${refusalMessage(missing)}\n`);
    for (const entry of refused.filter((e) => e.untrusted)) process.stderr.write(`mzimage: ${untrustedRefusal(entry)}\n`);
    return 1;
  }

  const { plan, outcomes } = await acquireImages(context, targets, { pull: invocation.pull, onLine: prefixed(repository), ...shardingOption });
  const failed = outcomes.some((o) => o.result === 'failed' || o.result === 'skipped');
  if (invocation.command === 'acquire' || failed) {
    const summary = invocation.json ? `${JSON.stringify(outcomes, null, 2)}\n` : formatSummary(outcomes);
    (invocation.command === 'acquire' ? process.stdout : process.stderr).write(summary);
    return failed ? 1 : 0;
  }

  // run: the image is there; hand the terminal to the container.
  const reference = plan.find((e) => e.name === invocation.images[0])!.reference;
  const tty = process.stdin.isTTY && process.stdout.isTTY ? ['--interactive', '--tty'] : [];
  const result = spawnSync(context.docker, ['run', '--rm', '--init', ...tty, reference, ...invocation.runArgs], { stdio: 'inherit', env: context.env });
  return result.status ?? 1;
}

/** Progress lines on stderr, each after the name of the image (or `cargo`) it is about. */
function prefixed(repository: Repository): (source: string, line: string) => void {
  const width = Math.max(...repository.images.map((i) => i.name.length), 5);
  return (source, line) => process.stderr.write(`${source.padEnd(width)} | ${line}\n`);
}
