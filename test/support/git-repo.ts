import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A real git repository in a temporary directory, for tests that need git's own answers. */
export class GitRepo {
  readonly root: string;

  constructor(prefix = 'mzbuild-test-') {
    this.root = mkdtempSync(join(tmpdir(), prefix));
    this.git('init', '-q', '-b', 'main');
    this.git('config', 'user.email', 'test@example.com');
    this.git('config', 'user.name', 'Test');
    this.git('config', 'commit.gpgsign', 'false');
  }

  path(file: string): string {
    return join(this.root, file);
  }

  /** Writes files, creating directories; `files` maps root-relative paths to contents. */
  write(files: Record<string, string>): this {
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(dirname(this.path(file)), { recursive: true });
      writeFileSync(this.path(file), content);
    }
    return this;
  }

  chmod(file: string, mode: number): this {
    chmodSync(this.path(file), mode);
    return this;
  }

  symlink(target: string, file: string): this {
    mkdirSync(dirname(this.path(file)), { recursive: true });
    symlinkSync(target, this.path(file));
    return this;
  }

  remove(file: string): this {
    unlinkSync(this.path(file));
    return this;
  }

  rename(from: string, to: string): this {
    mkdirSync(dirname(this.path(to)), { recursive: true });
    renameSync(this.path(from), this.path(to));
    return this;
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.root, encoding: 'utf8' });
  }

  /** Stages everything and commits. */
  commit(message = 'commit'): this {
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this;
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** An image directory: `mzbuild.yml` (with `name`, plus any extra YAML) and a Dockerfile. */
export function image(dir: string, name: string, dockerfile = 'FROM scratch\n', extraYaml = ''): Record<string, string> {
  return { [`${dir}/mzbuild.yml`]: `name: ${name}\n${extraYaml}`, [`${dir}/Dockerfile`]: dockerfile };
}

/** A crate: Cargo.toml with the given extra TOML after [package], and the named source files. */
export function crate(dir: string, name: string, toml = '', sources: Record<string, string> = { 'src/lib.rs': '' }): Record<string, string> {
  const files: Record<string, string> = {
    [`${dir}/Cargo.toml`]: `[package]\nname = "${name}"\nversion = "0.0.0"\n${toml}`,
  };
  for (const [file, content] of Object.entries(sources)) files[`${dir}/${file}`] = content;
  return files;
}

/**
 * A root Cargo.toml listing `members`, and a stand-in Cargo.lock: enough to fingerprint. A test
 * that runs cargo (which builds --locked) makes a real one with lockfile() once its crates exist.
 */
export function cargoWorkspace(members: string[], extra = ''): Record<string, string> {
  return {
    'Cargo.toml': `[workspace]\nmembers = [${members.map((m) => JSON.stringify(m)).join(', ')}]\n${extra}`,
    'Cargo.lock': '# lock\n',
  };
}

/** Generates the Cargo.lock of a workspace whose crates have no registry dependencies. */
export function lockfile(repo: GitRepo): void {
  execFileSync('cargo', ['generate-lockfile', '--offline'], { cwd: repo.root });
}
