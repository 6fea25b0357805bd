import type { MzbuildContext } from '../context';
import type { ResolvedImage } from '../fingerprint';
import { findImages } from '../repository';
import type { Invocation } from './args';

/** Each command returns what it prints to standard output. */
export function runCommand(context: MzbuildContext, invocation: Invocation): string {
  switch (invocation.command) {
    case 'list':
      return list(context, invocation.json);
    case 'fingerprint':
      return perImage(context, invocation, 'fingerprint');
    case 'spec':
      return perImage(context, invocation, 'reference');
    case 'describe':
      return describe(context, invocation);
  }
}

function list({ repository }: MzbuildContext, json: boolean): string {
  if (!json) return lines(repository.images.map((image) => image.name));
  return toJson(
    repository.images.map(({ name, dir, dependencies, manifest }) => ({
      name,
      directory: dir,
      description: manifest.description ?? null,
      publish: manifest.publish,
      mainline: manifest.mainline,
      dependencies,
    })),
  );
}

/** The named images (or all, in repository order), resolved, without the dependencies they pulled in. */
function resolveTargets({ repository, resolver, config }: MzbuildContext, invocation: Invocation): ResolvedImage[] {
  const targets = invocation.all ? repository.images : findImages(repository, invocation.images);
  const resolved = new Map(resolver.resolve(targets, config).map((r) => [r.image.name, r]));
  return targets.map((image) => resolved.get(image.name)!);
}

function perImage(context: MzbuildContext, invocation: Invocation, field: 'fingerprint' | 'reference'): string {
  const resolved = resolveTargets(context, invocation);
  if (invocation.json) {
    return toJson(resolved.map((r) => ({ name: r.image.name, fingerprint: r.fingerprint, reference: r.reference })));
  }
  if (resolved.length === 1 && !invocation.all) return lines([resolved[0]![field]]);
  return lines(resolved.map((r) => `${r.image.name}\t${r[field]}`));
}

function describe(context: MzbuildContext, invocation: Invocation): string {
  const { resolver, repository } = context;
  const descriptions = resolveTargets(context, invocation).map((r) => {
    const dependencies = invocation.transitive
      ? resolver.resolve([r.image], context.config).filter((d) => d.image !== r.image).map((d) => d.image.name).sort()
      : r.image.dependencies;
    const inputs = invocation.transitive ? resolver.transitiveInputs(repository.byName.get(r.image.name)!) : r.inputs;
    return { name: r.image.name, fingerprint: r.fingerprint, reference: r.reference, inputs, dependencies };
  });
  if (invocation.json) return toJson(descriptions);
  return descriptions
    .map((d) =>
      lines([
        `Image: ${d.name}`,
        `Fingerprint: ${d.fingerprint}`,
        'Input files:',
        ...d.inputs.map((f) => `    ${f}`),
        'Dependencies:',
        ...(d.dependencies.length > 0 ? d.dependencies.map((n) => `    ${n}`) : ['    (none)']),
      ]),
    )
    .join('\n');
}

function lines(items: string[]): string {
  return items.map((item) => `${item}\n`).join('');
}

function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
