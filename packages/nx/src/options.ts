/** The plugin's options in nx.json: core's image configuration plus the plugin's own names. */
import { PLUGIN_NAME, sharedOptionsSchema } from '@mzbuild/core';
import * as z from 'zod';

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
  })
  .strict();

export type MzbuildPluginOptions = z.input<typeof pluginOptionsSchema>;

export interface NormalizedOptions {
  projectName: string;
  targets: { fingerprint: string; dockerBuild: string; publish: string };
}

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
    },
  };
}

export function projectNameOf(template: string, image: string): string {
  return template.split('{name}').join(image);
}
