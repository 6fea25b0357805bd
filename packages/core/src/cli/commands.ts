/** The mzimage commands that only read the repository: list, fingerprint, spec, describe. */
import type { MzbuildContext } from '../context';
import type { ResolvedImage } from '../fingerprint';
import { dependencyOrder, findImages } from '../repository';
import type { Invocation } from './args';

/** Each command returns what it prints to standard output. */
export async function runCommand(context: MzbuildContext, invocation: Invocation): Promise<string> {
  switch (invocation.command) {
    case 'list':
      return list(context, invocation.json);
    case 'fingerprint':
      return perImage(context, invocation, 'fingerprint');
    case 'spec':
      return perImage(context, invocation, 'reference');
    case 'describe':
      return describe(context, invocation);
    default:
      throw new Error(`${invocation.command} is not a query command`);
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
async function resolveTargets({ repository, resolver, config }: MzbuildContext, invocation: Invocation): Promise<ResolvedImage[]> {
  const targets = invocation.all ? repository.images : findImages(repository, invocation.images);
  const resolved = new Map((await resolver.resolve(targets, config)).map((r) => [r.image.name, r]));
  return targets.map((image) => resolved.get(image.name)!);
}

async function perImage(context: MzbuildContext, invocation: Invocation, field: 'fingerprint' | 'reference'): Promise<string> {
  const resolved = await resolveTargets(context, invocation);
  if (invocation.json) {
    return toJson(resolved.map((r) => ({ name: r.image.name, fingerprint: r.fingerprint, reference: r.reference })));
  }
  if (resolved.length === 1 && !invocation.all) return lines([resolved[0]![field]]);
  return lines(resolved.map((r) => `${r.image.name}\t${r[field]}`));
}

async function describe(context: MzbuildContext, invocation: Invocation): Promise<string> {
  const { resolver, repository } = context;
  const descriptions = (await resolveTargets(context, invocation)).map((r) => {
    const closure = dependencyOrder([r.image], repository.byName);
    const dependencies = invocation.transitive
      ? closure.filter((image) => image !== r.image).map((image) => image.name).sort()
      : r.image.dependencies;
    const inputs = invocation.transitive ? resolver.transitiveInputs(r.image, context.config.compat) : r.inputs;
    return { name: r.image.name, fingerprint: r.fingerprint, mode: context.config.compat, reference: r.reference, inputs, dependencies };
  });
  if (invocation.json) return toJson(descriptions);
  return descriptions
    .map((d) =>
      lines([
        `Image: ${d.name}`,
        `Fingerprint: ${d.fingerprint}`,
        `Fingerprint mode: ${d.mode}`,
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
