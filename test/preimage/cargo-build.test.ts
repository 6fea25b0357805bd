import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { runCargoBuilds, type CargoBuildRequest, type PreImageOptions } from '../../packages/core/src/preimage/pre-images';
import type { FingerprintConfig } from '../../packages/core/src/config';
import { loadRepository } from '../../packages/core/src/repository';
import { cargoStep, elfSections, ToolDir } from '../support/build-tools';
import { crate, GitRepo, image, lockfile } from '../support/git-repo';
import { errorOf } from '../support/resolve';

/**
 * Real cargo on one tiny workspace, built once (beforeAll) and shared: building Rust is slow.
 * alpha: a bin, an example, a `loud` feature and a build script writing into OUT_DIR;
 * beta: a bin with a `shout` feature. Image one takes alpha, image two beta (strip: false).
 */
const OPTIMIZED: FingerprintConfig = { profile: 'optimized', arch: 'x86_64', coverage: false, sanitizer: 'none', compat: 'mzbuild' };
const TRIPLE = 'x86_64-unknown-linux-gnu';

const BUILD_RS = `
use std::{env, fs, path::Path};
fn main() {
    let out = env::var("OUT_DIR").unwrap();
    let out = Path::new(&out);
    fs::write(out.join("single.txt"), "single\\n").unwrap();
    fs::create_dir_all(out.join("gen/sub")).unwrap();
    fs::write(out.join("gen/hello.txt"), "hello\\n").unwrap();
    fs::write(out.join("gen/sub/deep.txt"), "deep\\n").unwrap();
    fs::create_dir_all(out.join("../../../../../shared")).unwrap();
    fs::write(out.join("../../../../../shared/above.txt"), "above\\n").unwrap();
    println!("cargo:rerun-if-changed=build.rs");
}
`;

let repo: GitRepo;
let tools: ToolDir;
let output: string[];
let requests: CargoBuildRequest[];

function options(extra: Partial<PreImageOptions> = {}): PreImageOptions {
  return {
    root: repo.root,
    config: OPTIMIZED,
    cargoCommand: [tools.path('cargo')],
    env: { CARGO_NET_OFFLINE: 'true', PATH: tools.pathWithShims(), CARGO_TARGET_DIR: undefined, CARGO_BUILD_TARGET_DIR: undefined },
    onOutput: (line) => output.push(line),
    ...extra,
  };
}

const cargoCalls = () => tools.log('cargo');
const run = (file: string) => execFileSync(repo.path(file), { encoding: 'utf8' });

beforeAll(async () => {
  repo = new GitRepo();
  tools = new ToolDir();
  tools.script('cargo', `echo "$*" >> '${tools.path('cargo.log')}'\nexec cargo "$@"\n`);
  tools.loggingShim('strip');
  tools.loggingShim('objcopy');
  repo.write({
    'Cargo.toml':
      '[workspace]\nmembers = ["crates/alpha", "crates/beta"]\nresolver = "2"\n\n' +
      '[profile.optimized]\ninherits = "release"\ndebug = 1\n',
    '.gitignore': '/target\n',
    ...crate('crates/alpha', 'alpha', 'edition = "2021"\n\n[features]\nloud = []\n', {
      'build.rs': BUILD_RS,
      'src/main.rs': 'fn main() { println!("{}", if cfg!(feature = "loud") { "ALPHA" } else { "alpha" }); }\n',
      'examples/demo.rs': 'fn main() { println!("demo"); }\n',
    }),
    ...crate('crates/beta', 'beta', 'edition = "2021"\n\n[features]\nshout = []\n', {
      'src/main.rs': 'fn main() { println!("{}", if cfg!(feature = "shout") { "BETA" } else { "beta" }); }\n',
    }),
    ...image(
      'images/one',
      'one',
      'FROM scratch\n',
      'pre-image:\n  - type: cargo-build\n    bin: alpha\n    example: demo\n    features: [loud]\n' +
        '    extract:\n      alpha:\n        single.txt: single.txt\n        gen: generated\n        ../../../../../shared/above.txt: above.txt\n',
    ),
    'images/one/.gitignore': '/alpha\n/examples\n/single.txt\n/generated\n/above.txt\n',
    ...image('images/two', 'two', 'FROM scratch\n', 'pre-image:\n  - type: cargo-build\n    bin: beta\n    strip: false\n    features: shout\n'),
    'images/two/.gitignore': '/beta\n',
  });
  // Cargo.lock is an input, and the build runs --locked: it must be there and up to date.
  lockfile(repo);
  repo.commit();

  const repository = await loadRepository(repo.root);
  requests = repository.images.map((img) => ({
    imageName: img.name,
    imageDir: img.dir,
    step: img.manifest.preImages[0] as CargoBuildRequest['step'],
  }));
  output = [];
  await runCargoBuilds(requests, options({ visibleFiles: new Set(repository.files) }));
}, 180_000);

afterAll(() => {
  repo?.dispose();
  tools?.dispose();
});

describe('runCargoBuilds, with real cargo', () => {
  it('runs cargo once for the bins, examples and features of both images', () => {
    expect(cargoCalls()).toEqual([
      `build --target ${TRIPLE} --bin alpha --bin beta --example demo --package=alpha --package=beta ` +
        '--profile optimized --features=loud,shout --message-format=json-render-diagnostics --locked',
    ]);
  });

  it('streams cargo’s diagnostics and shows the command, but not its JSON messages', () => {
    expect(output[0]).toMatch(/^\$ \S+\/cargo build --target /);
    expect(output.some((line) => /Compiling alpha v0\.0\.0/.test(line))).toBe(true);
    expect(output.some((line) => /Finished `optimized` profile/.test(line))).toBe(true);
    expect(output.some((line) => line.startsWith('{'))).toBe(false);
  });

  it('copies bins and examples into their image directories, executable, built with the union of the features', () => {
    expect(run('images/one/alpha')).toBe('ALPHA\n');
    expect(run('images/two/beta')).toBe('BETA\n');
    expect(run('images/one/examples/demo')).toBe('demo\n');
    for (const file of ['images/one/alpha', 'images/one/examples/demo', 'images/two/beta']) {
      expect(statSync(repo.path(file)).mode & 0o777).toBe(0o755);
    }
  });

  it('strips debug information with strip --strip-debug, in the image directory only', () => {
    expect(elfSections(repo.path(`target/${TRIPLE}/optimized/alpha`))).toContain('.debug_info');
    expect(elfSections(repo.path('images/one/alpha'))).not.toContain('.debug_info');
    expect(elfSections(repo.path('images/one/examples/demo'))).not.toContain('.debug_info');
    expect(tools.log('strip').sort()).toEqual([
      `strip --strip-debug ${repo.path('images/one/alpha')}`,
      `strip --strip-debug ${repo.path('images/one/examples/demo')}`,
    ]);
  });

  it('with strip: false, only removes the pubnames sections with objcopy', () => {
    expect(elfSections(repo.path('images/two/beta'))).toContain('.debug_info');
    expect(tools.log('objcopy')).toEqual([`objcopy -R .debug_pubnames -R .debug_pubtypes ${repo.path('images/two/beta')}`]);
  });

  it('extracts files and directories from the build script’s OUT_DIR, and from elsewhere in the target directory', () => {
    expect(readFileSync(repo.path('images/one/single.txt'), 'utf8')).toBe('single\n');
    expect(readFileSync(repo.path('images/one/generated/hello.txt'), 'utf8')).toBe('hello\n');
    expect(readFileSync(repo.path('images/one/generated/sub/deep.txt'), 'utf8')).toBe('deep\n');
    expect(readFileSync(repo.path('images/one/above.txt'), 'utf8')).toBe('above\n');
  });

  it('leaves git status clean', () => {
    expect(repo.git('status', '--porcelain', '--untracked-files=all')).toBe('');
  });

  it('replaces outputs when run again: an extracted directory is not copied into the previous one', async () => {
    tools.clearLog('cargo');
    await runCargoBuilds(requests, options());
    expect(cargoCalls()).toHaveLength(1);
    expect(existsSync(repo.path('images/one/generated/gen'))).toBe(false);
    expect(readFileSync(repo.path('images/one/generated/hello.txt'), 'utf8')).toBe('hello\n');
    expect(run('images/one/alpha')).toBe('ALPHA\n');
  });

  it('reports an extract from a package that ran no build script, after building', async () => {
    const step = cargoStep({ bins: ['beta'], extract: { beta: { 'x.txt': 'x.txt' } } });
    repo.write({ 'images/two/.gitignore': '/beta\n/x.txt\n' });
    try {
      expect(await errorOf(runCargoBuilds([{ imageName: 'two', imageDir: 'images/two', step }], options()))).toBe(
        `images/two/mzbuild.yml: extract: cargo ran no build script of package beta for ${TRIPLE}; ` +
          'is beta a dependency of the binaries built here, with a build.rs?',
      );
    } finally {
      repo.write({ 'images/two/.gitignore': '/beta\n' });
    }
  });

  describe('checks before building anything', () => {
    beforeEach(() => tools.clearLog('cargo'));
    afterEach(() => expect(cargoCalls()).toEqual([]));

    it('rejects extract destinations outside the image directory', async () => {
      const step = cargoStep({ bins: ['alpha'], extract: { alpha: { 'single.txt': '../../escaped.txt', gen: '/abs' } } });
      expect(await errorOf(runCargoBuilds([{ imageName: 'one', imageDir: 'images/one', step }], options()))).toBe(
        'images/one/mzbuild.yml: extract: destination ../../escaped.txt (of alpha single.txt) is outside the image directory images/one\n' +
          'images/one/mzbuild.yml: extract: destination /abs (of alpha gen) is outside the image directory images/one',
      );
    });

    it('rejects extract sources outside the target directory', async () => {
      const step = cargoStep({ bins: ['alpha'], extract: { alpha: { '../../../../../../Cargo.toml': 'c' } } });
      expect(await errorOf(runCargoBuilds([{ imageName: 'one', imageDir: 'images/one', step }], options()))).toMatch(
        /^images\/one\/mzbuild.yml: extract: source \.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/Cargo.toml of package alpha is outside cargo's target directory/,
      );
    });

    it('rejects outputs that git does not ignore, saying what to add to .gitignore', async () => {
      repo.write({ ...image('images/three', 'three'), 'images/three/.gitignore': '/examples/\n' });
      const step = cargoStep({ bins: ['alpha'], examples: ['demo'], extract: { alpha: { gen: 'generated' } } });
      expect(await errorOf(runCargoBuilds([{ imageName: 'three', imageDir: 'images/three', step }], options()))).toBe(
        'images/three/mzbuild.yml: the build writes images/three/alpha, which git does not ignore: it would show in `git status` ' +
          "and change the image's fingerprint; add `/alpha` to images/three/.gitignore\n" +
          'images/three/mzbuild.yml: the build writes images/three/generated, which git does not ignore: it would show in `git status` ' +
          "and change the image's fingerprint; add `/generated` to images/three/.gitignore",
      );
    });

    it('rejects outputs that git tracks, even when ignored', async () => {
      repo.write({ ...image('images/four', 'four'), 'images/four/alpha': 'tracked\n', 'images/four/.gitignore': '/alpha\n' });
      repo.git('add', '-f', 'images/four');
      expect(
        await errorOf(runCargoBuilds([{ imageName: 'four', imageDir: 'images/four', step: cargoStep({ bins: ['alpha'] }) }], options())),
      ).toBe(
        'images/four/mzbuild.yml: the build would overwrite images/four/alpha, which git tracks; ' +
          'remove it from git (`git rm -r --cached images/four/alpha`), keeping `/alpha` in images/four/.gitignore',
      );
      expect(readFileSync(repo.path('images/four/alpha'), 'utf8')).toBe('tracked\n');
    });

    it('rejects a bin that no crate defines', async () => {
      expect(
        await errorOf(runCargoBuilds([{ imageName: 'one', imageDir: 'images/one', step: cargoStep({ bins: ['gamma'] }) }], options())),
      ).toBe('images/one/mzbuild.yml: bin gamma does not exist in cargo workspace');
    });
  });

  it('builds the dev profile without a profile flag, taking binaries from target/<triple>/debug', async () => {
    tools.clearLog('cargo');
    const step = cargoStep({ bins: ['beta'], strip: false });
    await runCargoBuilds([{ imageName: 'two', imageDir: 'images/two', step }], options({ config: { ...OPTIMIZED, profile: 'dev' } }));
    expect(cargoCalls()).toEqual([
      `build --target ${TRIPLE} --bin beta --package=beta --message-format=json-render-diagnostics --locked`,
    ]);
    expect(run('images/two/beta')).toBe('beta\n');
    expect(elfSections(repo.path('images/two/beta'))).toContain('.debug_info');
  });

  const aarch64Installed = () => execFileSync('rustup', ['target', 'list', '--installed'], { encoding: 'utf8' }).includes('aarch64');

  it('says how to install a Rust target that is missing, and how to link for it', async () => {
    if (aarch64Installed()) return; // nothing to show on a host that has it
    const config: FingerprintConfig = { ...OPTIMIZED, profile: 'dev', arch: 'aarch64' };
    const step = cargoStep({ bins: ['beta'] });
    expect(await errorOf(runCargoBuilds([{ imageName: 'two', imageDir: 'images/two', step }], options({ config })))).toBe(
      'the Rust target aarch64-unknown-linux-gnu is not installed: run `rustup target add aarch64-unknown-linux-gnu`; ' +
        "linking aarch64-unknown-linux-gnu binaries on this x86_64 host needs a cross linker: install Debian's gcc-aarch64-linux-gnu " +
        '(apt-get install gcc-aarch64-linux-gnu) and set CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc',
    );
  });
});

describe('a workspace without [profile.optimized]', () => {
  it('is told to add one', async () => {
    const bare = new GitRepo();
    try {
      bare.write({
        'Cargo.toml': '[workspace]\nmembers = ["hello"]\nresolver = "2"\n',
        '.gitignore': '/target\n',
        ...crate('hello', 'hello', 'edition = "2021"\n', { 'src/main.rs': 'fn main() {}\n' }),
        ...image('img', 'img'),
        'img/.gitignore': '/hello\n',
      });
      lockfile(bare);
      const error = await runCargoBuilds([{ imageName: 'img', imageDir: 'img', step: cargoStep({ bins: ['hello'] }) }], {
        root: bare.root,
        config: OPTIMIZED,
        env: { CARGO_NET_OFFLINE: 'true' },
        onOutput: () => undefined,
      }).catch((e: unknown) => e);
      expect((error as Error).name).toBe('UserError');
      expect((error as Error).message).toBe('Cargo.toml has no [profile.optimized]; add one, e.g. `[profile.optimized]\ninherits = "release"`');
    } finally {
      bare.dispose();
    }
  });
});
