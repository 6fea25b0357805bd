/** The schema of `mzbuild.yml` (zod): what a manifest may say, and its defaults. */
import * as z from 'zod';

/**
 * The `mzbuild.yml` schema: every key mzbuild reads, with its defaults. Messages say what is wrong
 * and what is allowed; the parser prefixes them with the file, line and column.
 */

const IMAGE_NAME = /^[A-Za-z0-9-]+$/;

function required(what: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? `is required: ${what}` : `must be ${what}`);
}

const stringOrList = (what: string) =>
  z
    .union([z.string(), z.array(z.string())], { error: `must be ${what}: a string or a list of strings` })
    .optional()
    .transform((value) => (value === undefined ? [] : typeof value === 'string' ? [value] : value));

const bool = z.boolean({ error: 'must be true or false' });

export const cargoBuildSchema = z
  .object({
    type: z.literal('cargo-build'),
    bin: stringOrList('the names of Cargo binaries to build'),
    example: stringOrList('the names of Cargo examples to build'),
    strip: bool.default(true),
    extract: z
      .record(
        z.string(),
        z.record(z.string(), z.string({ error: 'must map a path in the OUT_DIR to a path in the image directory' }), {
          error: 'must map paths in the OUT_DIR of the package build script to paths in the image directory',
        }),
        { error: 'must map Cargo package names to {source: destination} maps' },
      )
      .default({}),
    features: stringOrList('Cargo features'),
  })
  .refine((step) => step.bin.length > 0 || step.example.length > 0, {
    message: 'mzbuild config is missing pre-build target: a cargo-build step needs `bin` or `example`',
  });

export const copySchema = z.object({
  type: z.literal('copy'),
  source: z.string({ error: required('a directory, relative to the repository root, to copy from') }),
  destination: z.string({ error: required('a directory, relative to the image directory, to copy into') }),
  matching: z.string({ error: 'must be a git pathspec, relative to `source`' }).default('*'),
});

const PRE_IMAGE_TYPES = ['cargo-build', 'copy'] as const;

export const preImageSchema = z.discriminatedUnion('type', [cargoBuildSchema, copySchema], {
  error: (issue) => {
    const type = (issue.input as { type?: unknown } | undefined)?.type;
    const allowed = PRE_IMAGE_TYPES.join(', ');
    return type === undefined
      ? `a pre-image step needs a \`type\`: one of ${allowed}`
      : `unknown pre-image type ${JSON.stringify(type)}; allowed: ${allowed}`;
  },
});

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  error: 'must be a string, number or boolean',
});

export const manifestSchema = z.object({
  name: z
    .string({ error: required('the image name, made of letters, digits and hyphens') })
    .min(1, { error: 'is required: the image name, made of letters, digits and hyphens' })
    .regex(IMAGE_NAME, {
      error: (issue) => `${JSON.stringify(issue.input)} contains an invalid character; only letters, digits and hyphens are allowed`,
    }),
  description: z.string({ error: 'must be a string' }).nullish(),
  publish: bool.default(true),
  mainline: bool.default(true),
  'build-args': z.record(z.string(), scalar, { error: 'must be a map of build argument names to values' }).default({}),
  'pre-image': z
    .array(preImageSchema, { error: 'must be a list of steps, each with `type: cargo-build` or `type: copy`' })
    .nullish()
    .transform((steps) => steps ?? []),
});

/** The keys mzbuild reads, for warning about the others (which it, and we, ignore). */
export const KNOWN_KEYS = {
  manifest: ['name', 'description', 'publish', 'mainline', 'build-args', 'pre-image'],
  'cargo-build': ['type', 'bin', 'example', 'strip', 'extract', 'features'],
  copy: ['type', 'source', 'destination', 'matching'],
} as const;

export type ManifestData = z.output<typeof manifestSchema>;
export type PreImageData = z.output<typeof preImageSchema>;
