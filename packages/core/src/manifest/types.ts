/** One `mzbuild.yml`, validated, with mzbuild's defaults filled in. */
export interface Manifest {
  name: string;
  description?: string;
  publish: boolean;
  mainline: boolean;
  /** Passed to `docker build --build-arg`, rendered as mzbuild renders them (Python's `str`). */
  buildArgs: Record<string, string>;
  preImages: PreImage[];
}

export type PreImage = CargoBuild | Copy;

export interface CargoBuild {
  type: 'cargo-build';
  bins: string[];
  examples: string[];
  strip: boolean;
  /** Cargo package → {path in its build script's OUT_DIR → path in the image directory}. */
  extract: Record<string, Record<string, string>>;
  features: string[];
}

export interface Copy {
  type: 'copy';
  /** A directory relative to the repository root. */
  source: string;
  /** A directory relative to the image directory. */
  destination: string;
  /** A git pathspec evaluated relative to `source`. */
  matching: string;
}
