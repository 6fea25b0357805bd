/** The plugin's options in nx.json, checked with zod: loaded only for options the model cache has not seen checked. */
import { sharedOptionsSchema } from '@mzbuild/core/config-schema';
import * as z from 'zod';
import { PLUGIN_NAME } from './constants';
import type { NormalizedOptions } from './project';

export { projectNameOf, type NormalizedOptions } from './project';

/**
 * The plugin's options in nx.json. The image configuration (registry, prefix, profile, arch,
 * coverage, sanitizer) is the same that `mzimage` reads, so the CLI and Nx always agree.
 */
export const pluginOptionsSchema = sharedOptionsSchema
  .extend({
    /** How a project is named after its image: `{name}` stands for the image name. */
    projectName: z
      .string()
      .refine((template) => template.includes('{name}'), { message: 'must contain {name}, e.g. "image-{name}"' })
      .optional(),
    fingerprintTargetName: z.string().min(1).optional(),
    dockerBuildTargetName: z.string().min(1).optional(),
    publishTargetName: z.string().min(1).optional(),
    explainTargetName: z.string().min(1).optional(),
    /** Nx's remote cache in the registry for each run (`mzimage cache-server`, started and stopped by the plugin). */
    remoteCache: z
      .union([
        z.boolean(),
        z.object({ repository: z.string().min(1).optional(), readFrom: z.array(z.string().min(1)).optional(), maxArtifactSize: z.string().min(1).optional() }).strict(),
      ])
      .optional(),
  })
  .strict();

export type MzbuildPluginOptions = z.input<typeof pluginOptionsSchema>;

export function normalizeOptions(options: unknown): NormalizedOptions {
  const parsed = pluginOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown option ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (known: ${Object.keys(pluginOptionsSchema.shape).join(', ')})`
        : `option ${issue.path.join('.')}: ${issue.message}`,
    );
    throw new Error(`nx.json: the options of plugin ${PLUGIN_NAME} are invalid: ${problems.join('; ')}`);
  }
  const data = parsed.data;
  return {
    projectName: data.projectName ?? '{name}',
    targets: {
      fingerprint: data.fingerprintTargetName ?? 'fingerprint',
      dockerBuild: data.dockerBuildTargetName ?? 'docker-build',
      publish: data.publishTargetName ?? 'publish',
      explain: data.explainTargetName ?? 'explain',
    },
  };
}
