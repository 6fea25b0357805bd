/** mzimage's command line: usage text, parsing, and the checks that make bad usage exit 2. */
import { parseArgs } from 'node:util';
import { ARCHES, COMPAT_MODES, SANITIZERS, type SharedOptions } from '../config';
import { UserError } from '../errors';

export { USAGE } from './usage';

export type Command = 'list' | 'fingerprint' | 'spec' | 'describe' | 'explain' | 'plan' | 'acquire' | 'run' | 'ensure' | 'publish-multiarch' | 'keygen' | 'cache-server';
const COMMANDS: Command[] = ['list', 'fingerprint', 'spec', 'describe', 'explain', 'plan', 'acquire', 'run', 'ensure', 'publish-multiarch', 'keygen', 'cache-server'];

/** cache-server's own options, as given. */
export interface CacheServerFlags {
  listen?: string;
  repository?: string;
  readFrom: string[];
  maxArtifactSize?: string;
  untilStdinCloses: boolean;
}

export interface Invocation {
  command: Command;
  images: string[];
  all: boolean;
  transitive: boolean;
  json: boolean;
  pull: boolean;
  force: boolean;
  /** ensure and publish-multiarch: plan and print, write nothing. */
  dryRun: boolean;
  /** list: every warning, each time, and exit 1 if there is one. */
  check: boolean;
  /** For publish-multiarch: the tag to put the indexes under. */
  tag?: string;
  /** ensure: build and push over tags no trusted key signed. */
  replaceUntrusted: boolean;
  /** keygen: the files' prefix. */
  output?: string;
  /** list, fingerprint, spec, describe: the commit whose tree to read instead of the working tree. */
  rev?: string;
  /** explain: the revision to compare with. */
  since?: string;
  /** acquire, ensure: `I/N`, and how long to wait for another shard's image, as given. */
  shard?: string;
  shardWait?: string;
  /** plan: the number of shards whose shares to print. */
  shards?: number;
  /** explain: the published image to compare with, a reference or a tag of each image's repository. */
  against?: string;
  /** cache-server: its options, when any was given. */
  cacheServer?: CacheServerFlags;
  flags: SharedOptions;
  /** For `run`: everything after the image name, handed to the container. */
  runArgs: string[];
}

/** The commands that can read a commit's tree instead of the working tree. */
const REV_COMMANDS = new Set<Command>(['list', 'fingerprint', 'spec', 'describe']);

const VALUE_OPTIONS = new Set(['--arch', '--sanitizer', '--compat', '--image-registry', '--image-prefix', '--mirror', '--trusted-key', '--cache-registry', '--builder', '--output', '--rev', '--since', '--against', '--listen', '--cache-repository', '--cache-read-from', '--max-artifact-size', '--shard', '--shard-wait', '--shards']);

/** `run IMAGE ARGS…`: the arguments after the image are the container's, options included. */
function splitRunArguments(argv: string[]): { own: string[]; runArgs: string[] } {
  const positionals: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) positionals.push(i);
    if (positionals.length === 2 && argv[positionals[0]!] === 'run') {
      return { own: argv.slice(0, i + 1), runArgs: argv.slice(i + 1) };
    }
  }
  return { own: argv, runArgs: [] };
}

/** Usage errors: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends UserError {}

export function parseInvocation(argv: string[]): Invocation | 'help' | 'version' {
  const { own, runArgs } = splitRunArguments(argv);
  let parsed;
  try {
    parsed = parseArgs({
      args: own,
      allowPositionals: true,
      strict: true,
      options: {
        dev: { type: 'boolean' },
        optimized: { type: 'boolean' },
        release: { type: 'boolean' },
        arch: { type: 'string' },
        coverage: { type: 'boolean' },
        sanitizer: { type: 'string' },
        compat: { type: 'string' },
        'image-registry': { type: 'string' },
        'image-prefix': { type: 'string' },
        mirror: { type: 'string', multiple: true },
        'trusted-key': { type: 'string', multiple: true },
        'replace-untrusted': { type: 'boolean' },
        'cache-registry': { type: 'string' },
        sccache: { type: 'boolean' },
        builder: { type: 'string' },
        'no-sccache': { type: 'boolean' },
        output: { type: 'string' },
        listen: { type: 'string' },
        'cache-repository': { type: 'string' },
        'cache-read-from': { type: 'string', multiple: true },
        'max-artifact-size': { type: 'string' },
        'until-stdin-closes': { type: 'boolean' },
        all: { type: 'boolean' },
        transitive: { type: 'boolean' },
        json: { type: 'boolean' },
        'no-pull': { type: 'boolean' },
        force: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        rev: { type: 'string' },
        shard: { type: 'string' },
        'shard-wait': { type: 'string' },
        shards: { type: 'string' },
        since: { type: 'string' },
        against: { type: 'string' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (values.version) return 'version';
  const [command, ...rest] = positionals;
  const tag = command === 'publish-multiarch' ? rest[0] : undefined;
  const images = command === 'publish-multiarch' ? rest.slice(1) : rest;
  if (command === undefined) throw new UsageError('no command given');
  if (!COMMANDS.includes(command as Command)) throw new UsageError(`unknown command: ${command}`);

  const profiles = (['dev', 'optimized', 'release'] as const).filter((p) => values[p]);
  if (profiles.length > 1) throw new UsageError(`--${profiles.join(' and --')} exclude each other`);
  const flags: SharedOptions = {};
  if (profiles[0]) flags.profile = profiles[0];
  if (values.arch !== undefined) flags.arch = oneOf('--arch', values.arch, ARCHES);
  if (values.coverage) flags.coverage = true;
  if (values.sanitizer !== undefined) flags.sanitizer = oneOf('--sanitizer', values.sanitizer, SANITIZERS);
  if (values.compat !== undefined) flags.compat = oneOf('--compat', values.compat, COMPAT_MODES);
  if (values['image-registry'] !== undefined) flags.registry = values['image-registry'];
  if (values['image-prefix'] !== undefined) flags.imagePrefix = values['image-prefix'];
  if (values.mirror !== undefined) flags.mirrors = values.mirror;
  if (values['trusted-key'] !== undefined) flags.trustedKeys = values['trusted-key'];
  if (values['cache-registry'] !== undefined) flags.cacheRegistry = values['cache-registry'];
  if (values.builder !== undefined) flags.builder = values.builder;
  if (values.sccache && values['no-sccache']) throw new UsageError('--sccache and --no-sccache exclude each other');
  if (values.sccache || values['no-sccache']) flags.sccache = values.sccache === true;

  if ((values.since ?? values.against) !== undefined && command !== 'explain') throw new UsageError('--since and --against work with explain');
  if (values.since !== undefined && values.against !== undefined) throw new UsageError('--since and --against exclude each other: compare with a revision or with a published image');
  if (values.against?.includes('/') && (values.all || images.length !== 1)) throw new UsageError(`--against ${values.against} names one published image: give one image with it, or a tag (such as latest)`);
  if (values.rev !== undefined && !REV_COMMANDS.has(command as Command)) {
    throw new UsageError(`--rev works with ${[...REV_COMMANDS].join(', ')}: ${command} needs the working tree`);
  }
  const invocation: Invocation = {
    command: command as Command,
    images,
    all: values.all ?? false,
    transitive: values.transitive ?? false,
    json: values.json ?? false,
    pull: !values['no-pull'],
    force: values.force ?? false,
    dryRun: values['dry-run'] ?? false,
    check: values.check ?? false,
    ...(values.rev === undefined ? {} : { rev: values.rev }),
    ...(values.since === undefined ? {} : { since: values.since }),
    ...shardFlags(command, values),
    ...(values.against === undefined ? {} : { against: values.against }),
    ...(tag === undefined ? {} : { tag }),
    replaceUntrusted: values['replace-untrusted'] ?? false,
    ...(values.output === undefined ? {} : { output: values.output }),
    ...cacheServerFlags(values),
    flags,
    runArgs,
  };
  checkImageArguments(invocation);
  return invocation;
}

const SHARD_COMMANDS = new Set<string>(['acquire', 'ensure']);

function shardFlags(command: string, values: { shard?: string | undefined; 'shard-wait'?: string | undefined; shards?: string | undefined; json?: boolean | undefined }): Pick<Invocation, 'shard' | 'shardWait' | 'shards'> {
  if ((values.shard !== undefined || values['shard-wait'] !== undefined) && !SHARD_COMMANDS.has(command)) {
    throw new UsageError(`--shard and --shard-wait are for acquire and ensure${command === 'plan' ? '; plan takes --shards N' : ''}`);
  }
  if (values.shards === undefined) {
    return { ...(values.shard === undefined ? {} : { shard: values.shard }), ...(values['shard-wait'] === undefined ? {} : { shardWait: values['shard-wait'] }) };
  }
  if (command !== 'plan') throw new UsageError('--shards is for plan (a CI matrix); acquire and ensure take --shard I/N');
  if (!values.json) throw new UsageError('--shards prints a CI matrix: give --json too');
  const shards = Number(values.shards);
  if (!/^\d+$/.test(values.shards) || shards < 1) throw new UsageError(`--shards ${values.shards}: give the number of shards, 1 or more`);
  return { shards };
}

function cacheServerFlags(values: {
  listen?: string | undefined;
  'cache-repository'?: string | undefined;
  'cache-read-from'?: string[] | undefined;
  'max-artifact-size'?: string | undefined;
  'until-stdin-closes'?: boolean | undefined;
}): { cacheServer?: CacheServerFlags } {
  const given = [values.listen, values['cache-repository'], values['cache-read-from'], values['max-artifact-size'], values['until-stdin-closes']];
  if (given.every((value) => value === undefined)) return {};
  return {
    cacheServer: {
      ...(values.listen === undefined ? {} : { listen: values.listen }),
      ...(values['cache-repository'] === undefined ? {} : { repository: values['cache-repository'] }),
      readFrom: values['cache-read-from'] ?? [],
      ...(values['max-artifact-size'] === undefined ? {} : { maxArtifactSize: values['max-artifact-size'] }),
      untilStdinCloses: values['until-stdin-closes'] ?? false,
    },
  };
}

function checkImageArguments({ command, images, all, tag, dryRun, check, replaceUntrusted, output, cacheServer }: Invocation): void {
  if (cacheServer && command !== 'cache-server') throw new UsageError('--listen, --cache-repository, --cache-read-from, --max-artifact-size and --until-stdin-closes are for cache-server');
  if (command === 'publish-multiarch' && tag === undefined) throw new UsageError('publish-multiarch needs a tag, then image names or --all');
  if (replaceUntrusted && command !== 'ensure') throw new UsageError('--replace-untrusted is for ensure');
  if (output !== undefined && command !== 'keygen') throw new UsageError('--output is for keygen');
  if (dryRun && command !== 'ensure' && command !== 'publish-multiarch') throw new UsageError('--dry-run is for ensure and publish-multiarch');
  if (check && command !== 'list') throw new UsageError('--check is for list');
  if (command === 'list' || command === 'keygen' || command === 'cache-server') {
    if (images.length > 0 || all) throw new UsageError(`${command} takes no image names`);
  } else if (command === 'describe') {
    if (all) throw new UsageError('describe takes image names, not --all');
    if (images.length === 0) throw new UsageError('describe needs an image name');
  } else if (command === 'run') {
    if (all || images.length !== 1) throw new UsageError('run takes one image name, then the arguments for the container');
  } else if (all && images.length > 0) {
    throw new UsageError(`${command} takes image names or --all, not both`);
  } else if (!all && images.length === 0) {
    throw new UsageError(`${command} needs image names, or --all`);
  }
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} ${value}: use one of ${allowed.join(', ')}`);
}
