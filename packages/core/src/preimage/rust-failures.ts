/**
 * What a failed `cargo build` said, read from its output line by line (colours removed), so that a
 * failure the user can act on becomes a message that says what to do.
 */
import { archOf } from '../config';

/**
 * Output that mzbuild (`run_and_detect_rust_incremental_build_failure`) takes for corrupted
 * incremental state or a compiler crash, cured by removing the target directory and building again.
 */
export const INCREMENTAL_FAILURE_MARKERS = [
  'panicked at compiler/rustc_metadata/src/rmeta/def_path_hash_map.rs',
  'Found unstable fingerprints for',
  'ld.lld: error: undefined symbol',
  'signal: 11, SIGSEGV',
] as const;

export type CargoFailure =
  /** One of INCREMENTAL_FAILURE_MARKERS: clear the target directory and retry once. */
  | { kind: 'incremental'; marker: string }
  /** `error: profile `NAME` is not defined`. */
  | { kind: 'missing-profile'; profile: string }
  /** The standard library of the target is not installed. */
  | { kind: 'missing-target'; triple: string | undefined }
  /** Linking for another architecture failed, or its linker is missing. */
  | { kind: 'cross-linker' }
  /** Cargo.lock would have to change, which --locked forbids. */
  | { kind: 'stale-lockfile' }
  | { kind: 'other' };

// CSI sequences (colours, cursor moves) and OSC ones (hyperlinks, which cargo may print).
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export class CargoFailureScanner {
  private incremental: string | undefined;
  private profile: string | undefined;
  private missingStd = false;
  private missingTriple: string | undefined;
  private linkFailed = false;
  private linkerMissing = false;
  private staleLockfile = false;

  /** Feed every line of cargo's output, stdout and stderr. */
  feed(line: string): void {
    const text = stripAnsi(line);
    this.incremental ??= INCREMENTAL_FAILURE_MARKERS.find((marker) => text.includes(marker));
    const profile = /error: profile `([^`]+)` is not defined/.exec(text);
    if (profile) this.profile ??= profile[1];
    if (/can't find crate for `(?:std|core)`/.test(text)) this.missingStd = true;
    const triple = /the `([^`]+)` target may not be installed/.exec(text);
    if (triple) {
      this.missingStd = true;
      this.missingTriple ??= triple[1];
    }
    if (/error: linking with `[^`]+` failed/.test(text)) this.linkFailed = true;
    if (/error: linker `[^`]+` not found/.test(text)) this.linkerMissing = true;
    if (/lock file .* needs to be updated but --locked was passed|cannot create the lock file .* because --locked was passed/.test(text)) {
      this.staleLockfile = true;
    }
  }

  /** What the output says of a failure; `crossCompiling` says whether link failures are blamed on the linker. */
  failure(crossCompiling: boolean): CargoFailure {
    if (this.staleLockfile) return { kind: 'stale-lockfile' };
    if (this.profile !== undefined) return { kind: 'missing-profile', profile: this.profile };
    if (this.missingStd) return { kind: 'missing-target', triple: this.missingTriple };
    if (this.incremental !== undefined) return { kind: 'incremental', marker: this.incremental };
    if (crossCompiling && (this.linkFailed || this.linkerMissing)) return { kind: 'cross-linker' };
    return { kind: 'other' };
  }
}

/** The variable that names the linker cargo uses for `triple`. */
export function linkerVariable(triple: string): string {
  return `CARGO_TARGET_${triple.toUpperCase().replace(/[-.]/g, '_')}_LINKER`;
}

/** How to link for another architecture on a Debian host: its GCC cross toolchain. */
export function crossLinkerAdvice(arch: string, triple: string, host: string = archOf(process.arch) ?? process.arch): string {
  const gnu = `${arch}-linux-gnu`;
  return (
    `linking ${triple} binaries on this ${host} host needs a cross linker: ` +
    `install Debian's gcc-${gnu.replace(/_/g, '-')} (apt-get install gcc-${gnu.replace(/_/g, '-')}) ` +
    `and set ${linkerVariable(triple)}=${gnu}-gcc`
  );
}
