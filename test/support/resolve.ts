import { loadContext, type SharedOptions } from '../../packages/core/src';

/** Every image's fingerprint, by name, as the core library computes it for the repository at `cwd`. */
export async function fingerprints(cwd: string, flags: SharedOptions = {}): Promise<Record<string, string>> {
  const context = await loadContext({ cwd, flags, env: {}, pluginOptions: {} });
  const resolved = await context.resolver.resolve(context.repository.images, context.config);
  return Object.fromEntries(resolved.map((r) => [r.image.name, r.fingerprint]));
}

/** The sorted input paths of one image. */
export async function inputsOf(cwd: string, name: string, flags: SharedOptions = {}): Promise<string[]> {
  const context = await loadContext({ cwd, flags, env: {}, pluginOptions: {} });
  return context.resolver.inputs.inputsOf(context.repository.byName.get(name)!, context.config.compat);
}

/** The names whose fingerprint differs between two snapshots. */
export function changed(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after })
    .filter((name) => before[name] !== after[name])
    .sort();
}

/** The message of the error that `promise` rejects with. */
export async function errorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error, got none');
}
