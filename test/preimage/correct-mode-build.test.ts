// Real cargo in the correct fingerprint mode, on a workspace written the way most are today
// (`members = ["crates/*"]`, dependencies through `workspace = true`): it fingerprints and builds,
// and Rust flags from the environment, which the fingerprint does not read, do not reach cargo.
import { execFileSync } from 'node:child_process';
import { loadContext } from '../../packages/core/src';
import type { FingerprintConfig } from '../../packages/core/src/config';
import { runCargoBuilds, type CargoBuildRequest } from '../../packages/core/src/preimage/pre-images';
import { loadRepository } from '../../packages/core/src/repository';
import { crate, GitRepo, image, lockfile } from '../support/git-repo';
import { errorOf } from '../support/resolve';

const CORRECT: FingerprintConfig = { profile: 'dev', arch: 'x86_64', coverage: false, sanitizer: 'none', compat: 'correct' };

let repo: GitRepo;
afterAll(() => repo?.dispose());

beforeAll(() => {
  repo = new GitRepo();
  repo.write({
    'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n\n[workspace.dependencies]\ngreeting = { path = "libs/greeting" }\n',
    '.gitignore': '/target\n',
    ...crate('crates/hello', 'hello', 'edition = "2021"\n\n[dependencies]\ngreeting = { workspace = true }\n', {
      // A flag from the environment would make this crate fail to compile.
      'src/main.rs': '#[cfg(from_environment)]\ncompile_error!("RUSTFLAGS reached cargo");\nfn main() { println!("{}", greeting::text()); }\n',
    }),
    ...crate('libs/greeting', 'greeting', 'edition = "2021"\n', { 'src/lib.rs': 'pub fn text() -> &\'static str { "hello from a workspace dependency" }\n' }),
    ...image('images/hello', 'hello', 'FROM scratch\n', 'pre-image:\n  - type: cargo-build\n    bin: hello\n'),
    'images/hello/.gitignore': '/hello\n',
  });
  lockfile(repo);
  repo.commit();
});

describe('a workspace with member globs and workspace = true dependencies, in correct mode', () => {
  it('fingerprints with the dependency among the inputs; mzbuild mode cannot read it', async () => {
    const context = await loadContext({ cwd: repo.root, env: {}, pluginOptions: {} });
    const [hello] = await context.resolver.resolve([context.repository.byName.get('hello')!], context.config);
    expect(hello!.inputs).toContain('libs/greeting/src/lib.rs');
    const mzbuild = loadContext({ cwd: repo.root, env: { MZBUILD_COMPAT: 'mzbuild' }, pluginOptions: {} }).then(async (c) => c.resolver.resolve(c.repository.images, c.config));
    expect(await errorOf(mzbuild)).toMatch(/workspace member "crates\/\*" is not a plain directory/);
  });

  it('builds, with RUSTFLAGS cleared for cargo and a note that says so', async () => {
    const repository = await loadRepository(repo.root);
    const img = repository.byName.get('hello')!;
    const requests: CargoBuildRequest[] = [{ imageName: img.name, imageDir: img.dir, step: img.manifest.preImages[0] as CargoBuildRequest['step'] }];
    const output: string[] = [];
    await runCargoBuilds(requests, {
      root: repo.root,
      config: CORRECT,
      env: { CARGO_NET_OFFLINE: 'true', RUSTFLAGS: '--cfg from_environment', CARGO_TARGET_DIR: undefined, CARGO_BUILD_TARGET_DIR: undefined },
      onOutput: (line) => output.push(line),
      visibleFiles: new Set(repository.files),
      workspace: () => repository.cargo('correct'),
    });
    expect(execFileSync(repo.path('images/hello/hello'), { encoding: 'utf8' })).toBe('hello from a workspace dependency\n');
    expect(output).toContainEqual(expect.stringMatching(/^note: RUSTFLAGS is not passed to cargo: the fingerprint does not read the environment/));
  }, 180_000);
});
