/** The zod schema of the options that nx.json gives the plugin and the CLI alike; loaded only to check them. */
import * as z from 'zod';
import { ARCHES, COMPAT_MODES, PLUGIN_NAME, PROFILES, SANITIZERS, type SharedOptions } from './config';
import { UserError } from './errors';

/** Plugin options in nx.json that the CLI shares with the plugin, so both compute the same images. */
export const sharedOptionsSchema = z.object({
  registry: z.string().optional(),
  mirrors: z.array(z.string()).optional(),
  imagePrefix: z.string().optional(),
  profile: z.enum(PROFILES).optional(),
  arch: z.enum(ARCHES).optional(),
  coverage: z.boolean().optional(),
  sanitizer: z.enum(SANITIZERS).optional(),
  compat: z.enum(COMPAT_MODES).optional(),
  /** Public key files (cosign.pub); in nx.json relative to the workspace root. */
  trustedKeys: z.array(z.string()).optional(),
  /** Where an untrusted job pushes what it builds. */
  cacheRegistry: z.string().optional(),
  /** Run cargo through sccache: true, false, or auto (when sccache is on PATH or RUSTC_WRAPPER is set). */
  sccache: z.union([z.boolean(), z.literal('auto')]).optional(),
  /** A docker buildx builder to build with. */
  builder: z.string().min(1).optional(),
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// The schema and the SharedOptions interface describe the same options.
true satisfies Same<z.infer<typeof sharedOptionsSchema>, SharedOptions>;

/** The options of the plugin's entry in nx.json (`shown` is its path in messages), checked. */
export function parsePluginOptions(options: unknown, shown: string): SharedOptions {
  const parsed = sharedOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`${shown}: option ${issue.path.join('.')} of plugin ${PLUGIN_NAME}: ${issue.message}`);
  }
  return parsed.data;
}
