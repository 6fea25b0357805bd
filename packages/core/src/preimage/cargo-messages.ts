/** What cargo's JSON messages (`--message-format=json-…`) say of a build: executables, OUT_DIRs, paths. */

/**
 * The package name in a cargo `package_id`: the current form (`path+file:///dir#name@1.0.0`, or
 * `path+file:///dir/name#1.0.0` when the directory is named after the package;
 * `registry+https://…#name@1.0.0`) and the one before cargo 1.77 (`name 1.0.0 (path+file:///…)`).
 */
export function packageNameOf(packageId: string): string {
  const old = /^(\S+) \S+ \(.*\)$/.exec(packageId);
  if (old) return old[1]!;
  const hash = packageId.lastIndexOf('#');
  if (hash >= 0) {
    const fragment = packageId.slice(hash + 1);
    const at = fragment.lastIndexOf('@');
    if (at > 0) return fragment.slice(0, at);
  }
  const url = (hash >= 0 ? packageId.slice(0, hash) : packageId).replace(/[?].*$/, '').replace(/\/+$/, '');
  return url.slice(url.lastIndexOf('/') + 1);
}

/** What cargo's JSON messages say of a build. */
export interface CargoArtifacts {
  /** `bin:NAME` or `example:NAME` → the executable cargo wrote. */
  executables: Map<string, string>;
  /** Package name → the OUT_DIRs of its build script runs, in order. */
  outDirs: Map<string, string[]>;
  /** Every path cargo reported, for finding the directories of this target triple. */
  paths: string[];
}

interface CargoMessage {
  reason?: string;
  package_id?: string;
  target?: { kind?: string[]; name?: string };
  executable?: string | null;
  filenames?: string[];
  out_dir?: string;
}

/** Reads cargo's stdout: JSON messages are recorded, anything else is not JSON (returns false). */
export class CargoMessageReader {
  readonly artifacts: CargoArtifacts = { executables: new Map(), outDirs: new Map(), paths: [] };

  constructor(private readonly mapPath: (path: string) => string = (path) => path) {}

  feed(line: string): boolean {
    if (!line.startsWith('{')) return false;
    let message: CargoMessage;
    try {
      message = JSON.parse(line) as CargoMessage;
    } catch {
      return false;
    }
    if (message.reason === 'compiler-artifact') {
      for (const file of message.filenames ?? []) this.artifacts.paths.push(this.mapPath(file));
      if (typeof message.executable === 'string' && message.target?.name !== undefined) {
        const executable = this.mapPath(message.executable);
        const kinds = message.target.kind ?? [];
        if (kinds.includes('bin')) this.artifacts.executables.set(`bin:${message.target.name}`, executable);
        if (kinds.includes('example')) this.artifacts.executables.set(`example:${message.target.name}`, executable);
      }
    } else if (message.reason === 'build-script-executed' && message.package_id && message.out_dir) {
      const outDir = this.mapPath(message.out_dir);
      this.artifacts.paths.push(outDir);
      const name = packageNameOf(message.package_id);
      this.artifacts.outDirs.set(name, [...(this.artifacts.outDirs.get(name) ?? []), outDir]);
    }
    return true;
  }
}

/** The directory of `triple` (`…/target/<triple>`) that holds `path`, if it is one cargo built for the target. */
export function tripleDirOf(path: string, triple: string): string | undefined {
  const index = path.lastIndexOf(`/${triple}/`);
  return index < 0 ? undefined : path.slice(0, index + triple.length + 1);
}
