/** Stripping installed binaries with the binutils of their architecture, as mzbuild does. */
import { archOf, type Arch } from '../config';
import { UserError } from '../errors';
import { onPath, shellQuote, spawnLines } from '../process/spawn';

/** What mzbuild runs on each binary: `strip --strip-debug`, or with `strip: false` only drop the pubnames sections. */
export function stripArgs(strip: boolean): { tool: 'strip' | 'objcopy'; args: string[] } {
  return strip
    ? { tool: 'strip', args: ['--strip-debug'] }
    : { tool: 'objcopy', args: ['-R', '.debug_pubnames', '-R', '.debug_pubtypes'] };
}

/**
 * The binutils program that handles `arch` binaries on this host: the host's own for its own
 * architecture, else Debian's cross binutils (`aarch64-linux-gnu-strip`), if installed.
 */
export function binutilsFor(
  tool: string,
  arch: Arch,
  env: NodeJS.ProcessEnv,
  host: Arch | undefined = archOf(process.arch),
): string | undefined {
  if (arch === host) return tool;
  const cross = `${arch}-linux-gnu-${tool}`;
  return onPath(cross, env) ? cross : undefined;
}

export interface StripOptions {
  arch: Arch;
  strip: boolean;
  env: NodeJS.ProcessEnv;
  onOutput?: (line: string) => void;
  /** The host's architecture (default this process's); for tests. */
  host?: Arch;
}

/** Strips (or, with `strip: false`, trims) binaries in place, all at once. */
export async function stripBinaries(files: string[], options: StripOptions): Promise<void> {
  if (files.length === 0) return;
  const { tool, args } = stripArgs(options.strip);
  const command = binutilsFor(tool, options.arch, options.env, options.host);
  if (command === undefined) {
    const package_ = `binutils-${options.arch.replace(/_/g, '-')}-linux-gnu`;
    options.onOutput?.(
      `note: not running ${tool} on the ${options.arch} binaries: ${options.arch}-linux-gnu-${tool} is not installed ` +
        `(apt-get install ${package_}); they keep their debug information`,
    );
    return;
  }
  await Promise.all(
    files.map(async (file) => {
      const argv = [command, ...args, file];
      options.onOutput?.(`$ ${shellQuote(argv)}`);
      const result = await spawnLines(command, argv.slice(1), {
        env: options.env,
        onLine: (line) => options.onOutput?.(line),
        notFoundHint: 'install binutils (apt-get install binutils)',
      });
      if (result.code !== 0) throw new UserError(`${shellQuote(argv)} failed (exit ${result.code})`);
    }),
  );
}
