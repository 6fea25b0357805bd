import { cargoBuildArgs, cargoEnv, targetDirectory } from '../../packages/core/src/preimage/cargo-command';
import { CargoMessageReader, packageNameOf, tripleDirOf } from '../../packages/core/src/preimage/cargo-messages';
import { planCargoBuild } from '../../packages/core/src/preimage/cargo-plan';
import { checkDistinct, pathInside, type OutputPath } from '../../packages/core/src/preimage/outputs';
import { CargoFailureScanner, linkerVariable, stripAnsi } from '../../packages/core/src/preimage/rust-failures';
import { binutilsFor, stripArgs } from '../../packages/core/src/preimage/strip';
import type { CargoWorkspace, Crate } from '../../packages/core/src/cargo';
import type { FingerprintConfig } from '../../packages/core/src/config';
import { UserError } from '../../packages/core/src/errors';
import { cargoStep } from '../support/build-tools';

const CONFIG: FingerprintConfig = { profile: 'optimized', arch: 'x86_64', coverage: false, sanitizer: 'none', compat: 'mzbuild' };

describe('packageNameOf', () => {
  it.each([
    ['path+file:///work/crates/mz-foo#0.1.0', 'mz-foo'], // directory named after the package
    ['path+file:///work/src/foo#mz-foo@0.1.0', 'mz-foo'],
    ['registry+https://github.com/rust-lang/crates.io-index#protobuf-src@2.1.1+27.1', 'protobuf-src'],
    ['sparse+https://index.crates.io/#libduckdb-sys@1.1.1', 'libduckdb-sys'],
    ['git+ssh://git@github.com/acme/repo.git?branch=main#dep@0.3.0', 'dep'],
    ['git+https://github.com/acme/tool?rev=abc#0.2.0', 'tool'],
    ['mz-foo 0.1.0 (path+file:///work/src/foo)', 'mz-foo'], // before cargo 1.77
    ['protobuf-src 1.1.0+21.5 (registry+https://github.com/rust-lang/crates.io-index)', 'protobuf-src'],
  ])('%s is %s', (id, name) => {
    expect(packageNameOf(id)).toBe(name);
  });
});

describe('cargoBuildArgs', () => {
  it('lists bins, examples, packages, the profile and the features, with JSON messages', () => {
    expect(
      cargoBuildArgs({
        triple: 'aarch64-unknown-linux-gnu',
        bins: ['a', 'b'],
        examples: ['e'],
        packages: ['pa', 'pb'],
        features: ['f1', 'pb/f2'],
        profile: 'release',
      }),
    ).toEqual([
      'build',
      '--target',
      'aarch64-unknown-linux-gnu',
      '--bin',
      'a',
      '--bin',
      'b',
      '--example',
      'e',
      '--package=pa',
      '--package=pb',
      '--release',
      '--features=f1,pb/f2',
      '--message-format=json-render-diagnostics',
      '--locked',
    ]);
  });
});

describe('cargoEnv', () => {
  it('leaves the environment alone without coverage', () => {
    expect(cargoEnv(CONFIG, { RUSTFLAGS: '-Copt-level=1' })['RUSTFLAGS']).toBe('-Copt-level=1');
  });
  it('adds -Cinstrument-coverage to CARGO_ENCODED_RUSTFLAGS when that is what is set', () => {
    const env = cargoEnv({ ...CONFIG, coverage: true }, { CARGO_ENCODED_RUSTFLAGS: '--cfg=x', RUSTFLAGS: undefined });
    expect(env['CARGO_ENCODED_RUSTFLAGS']).toBe('--cfg=x\x1f-Cinstrument-coverage');
    expect(env['RUSTFLAGS']).toBeUndefined();
  });
});

describe('CargoMessageReader', () => {
  it('records executables of bins and examples, and OUT_DIRs by package; anything else is not JSON', () => {
    const reader = new CargoMessageReader();
    const artifact = (kind: string, name: string, executable: string | null) =>
      JSON.stringify({ reason: 'compiler-artifact', package_id: 'x', target: { kind: [kind], name }, executable, filenames: [] });
    expect(reader.feed(artifact('bin', 'a', '/t/x86_64-unknown-linux-gnu/debug/a'))).toBe(true);
    expect(reader.feed(artifact('example', 'e', '/t/x86_64-unknown-linux-gnu/debug/examples/e'))).toBe(true);
    expect(reader.feed(artifact('lib', 'l', null))).toBe(true);
    expect(
      reader.feed(JSON.stringify({ reason: 'build-script-executed', package_id: 'path+file:///w/p#pkg@1.0.0', out_dir: '/t/o1' })),
    ).toBe(true);
    expect(reader.feed(JSON.stringify({ reason: 'build-script-executed', package_id: 'pkg 1.0.0 (path+file:///w/p)', out_dir: '/t/o2' }))).toBe(
      true,
    );
    expect(reader.feed('wrapper says hello')).toBe(false);
    expect(reader.feed('{not json')).toBe(false);
    expect(reader.artifacts.executables).toEqual(
      new Map([
        ['bin:a', '/t/x86_64-unknown-linux-gnu/debug/a'],
        ['example:e', '/t/x86_64-unknown-linux-gnu/debug/examples/e'],
      ]),
    );
    expect(reader.artifacts.outDirs).toEqual(new Map([['pkg', ['/t/o1', '/t/o2']]]));
  });
});

describe('target directories', () => {
  it('finds the directory of a triple in a path cargo reported', () => {
    expect(tripleDirOf('/r/target/x86_64-unknown-linux-gnu/optimized/build/p-1/out', 'x86_64-unknown-linux-gnu')).toBe(
      '/r/target/x86_64-unknown-linux-gnu',
    );
    expect(tripleDirOf('/r/target/optimized/build/p-1/out', 'x86_64-unknown-linux-gnu')).toBeUndefined();
  });
  it('honours CARGO_TARGET_DIR, relative to the root, then CARGO_BUILD_TARGET_DIR', () => {
    expect(targetDirectory('/r', {})).toBe('/r/target');
    expect(targetDirectory('/r', { CARGO_TARGET_DIR: 'out', CARGO_BUILD_TARGET_DIR: '/b' })).toBe('/r/out');
    expect(targetDirectory('/r', { CARGO_BUILD_TARGET_DIR: '/b' })).toBe('/b');
  });
});

describe('CargoFailureScanner', () => {
  const scan = (lines: string[], cross = false) => {
    const scanner = new CargoFailureScanner();
    for (const line of lines) scanner.feed(line);
    return scanner.failure(cross);
  };

  it('finds the markers of corrupted incremental state, through colours', () => {
    expect(scan(['\x1b[1m\x1b[31merror\x1b[0m: internal compiler error: Found unstable fingerprints for foo'])).toEqual({
      kind: 'incremental',
      marker: 'Found unstable fingerprints for',
    });
    expect(scan(['ok', 'error: could not compile'])).toEqual({ kind: 'other' });
  });

  it('recognises a Cargo.lock that --locked keeps cargo from writing', () => {
    expect(scan(['error: the lock file /r/Cargo.lock needs to be updated but --locked was passed to prevent this'])).toEqual({ kind: 'stale-lockfile' });
    expect(scan(['error: cannot create the lock file /r/Cargo.lock because --locked was passed to prevent this'])).toEqual({ kind: 'stale-lockfile' });
  });

  it('recognises a missing profile and a missing target', () => {
    expect(scan(['\x1b[1m\x1b[91merror\x1b[0m: profile `optimized` is not defined'])).toEqual({ kind: 'missing-profile', profile: 'optimized' });
    expect(scan(["error[E0463]: can't find crate for `std`", '  = note: the `aarch64-unknown-linux-gnu` target may not be installed'])).toEqual({
      kind: 'missing-target',
      triple: 'aarch64-unknown-linux-gnu',
    });
  });

  it('blames the linker only when cross-compiling', () => {
    expect(scan(['error: linker `aarch64-linux-gnu-gcc` not found'], true)).toEqual({ kind: 'cross-linker' });
    expect(scan(['error: linking with `cc` failed: exit status: 1'], false)).toEqual({ kind: 'other' });
  });

  it('strips OSC hyperlinks too', () => {
    expect(stripAnsi('\x1b]8;;file:///x\x1b\\x.rs\x1b]8;;\x1b\\')).toBe('x.rs');
  });

  it('names the linker variable of a triple', () => {
    expect(linkerVariable('aarch64-unknown-linux-gnu')).toBe('CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER');
  });
});

describe('strip', () => {
  it('uses strip --strip-debug, or objcopy without the pubnames', () => {
    expect(stripArgs(true)).toEqual({ tool: 'strip', args: ['--strip-debug'] });
    expect(stripArgs(false)).toEqual({ tool: 'objcopy', args: ['-R', '.debug_pubnames', '-R', '.debug_pubtypes'] });
  });
  it('uses the host tool for the host architecture, the cross one if installed otherwise', () => {
    expect(binutilsFor('strip', 'x86_64', { PATH: '' }, 'x86_64')).toBe('strip');
    expect(binutilsFor('strip', 'aarch64', { PATH: '' }, 'x86_64')).toBeUndefined();
  });
});

describe('pathInside', () => {
  it.each([
    ['img', 'a', 'img/a'],
    ['img', './a/../b/', 'img/b'],
    ['img', 'a//b', 'img/a/b'],
    ['img', '..', undefined],
    ['img', '../img2/a', undefined],
    ['img', '/abs', undefined],
    ['img', '.', undefined],
    ['img', '', undefined],
    ['', 'src', 'src'],
    ['', '../x', undefined],
  ])('%j + %j is %j', (dir, rel, expected) => {
    expect(pathInside(dir, rel)).toBe(expected);
  });
  it('allows the directory itself on request', () => {
    expect(pathInside('img', '.', true)).toBe('img');
    expect(pathInside('', '.', true)).toBe('');
  });
});

describe('checkDistinct', () => {
  const output = (path: string): OutputPath => ({ manifest: 'img/mzbuild.yml', imageDir: 'img', path, ignoreAs: '/x' });
  it('rejects outputs at the same path or inside one another', () => {
    expect(() => checkDistinct([output('img/a'), output('img/b')])).not.toThrow();
    expect(() => checkDistinct([output('img/a'), output('img/a')])).toThrow('img/mzbuild.yml: two outputs at img/a and img/a');
    expect(() => checkDistinct([output('img/examples/e'), output('img/examples')])).toThrow('two outputs at img/examples/e and img/examples');
    expect(() => checkDistinct([output('img/d'), output('img/d/x')])).toThrow('two outputs at img/d and img/d/x');
  });
});

describe('planCargoBuild', () => {
  const crate = (name: string, dir: string, bins: string[], examples: string[] = []): Crate => ({
    name,
    dir,
    bins,
    examples,
    pathDependencies: [],
    pathDevDependencies: [],
    dependencyPaths: [],
    devDependencyPaths: [],
  });
  const [a, b] = [crate('pa', 'a', ['a', 'shared'], ['ex']), crate('pb', 'b', ['b'])];
  const workspace: CargoWorkspace = {
    mode: 'mzbuild',
    members: new Map([
      ['pa', a],
      ['pb', b],
    ]),
    crateDirs: ['a', 'b'],
    crates: new Map([
      ['a', a],
      ['b', b],
    ]),
    patches: [],
  };
  const plan = (requests: Parameters<typeof planCargoBuild>[0], config = CONFIG) => planCargoBuild(requests, config, () => workspace);
  const error = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      return (e as Error).message;
    }
    throw new Error('expected an error');
  };

  it('unions bins, examples, packages and features across images, once each', () => {
    const { command, images } = plan([
      { imageName: 'one', imageDir: 'one', step: cargoStep({ bins: ['a', 'shared'], features: ['x'] }) },
      { imageName: 'two', imageDir: 'imgs/two/', step: cargoStep({ bins: ['b', 'shared'], examples: ['ex'], features: ['x', 'y'] }) },
    ]);
    expect(command).toEqual({
      triple: 'x86_64-unknown-linux-gnu',
      bins: ['a', 'shared', 'b'],
      examples: ['ex'],
      packages: ['pa', 'pb'],
      features: ['x', 'y'],
      profile: 'optimized',
    });
    expect(images[1]!.imageDir).toBe('imgs/two');
    expect(images[1]!.outputs.map((o) => [o.path, o.ignoreAs])).toEqual([
      ['imgs/two/b', '/b'],
      ['imgs/two/shared', '/shared'],
      ['imgs/two/examples/ex', '/examples/ex'],
    ]);
  });

  it('lets an extract source climb out of the OUT_DIR but not out of the target directory', () => {
    const step = (source: string) => cargoStep({ bins: ['a'], extract: { dep: { [source]: 'out' } } });
    expect(plan([{ imageName: 'one', imageDir: 'one', step: step('../../../../../duckdb-download') }]).images[0]!.extract).toEqual([
      { package: 'dep', source: '../../../../../duckdb-download', dest: 'one/out' },
    ]);
    expect(error(() => plan([{ imageName: 'one', imageDir: 'one', step: step('../../../../../..') }]))).toMatch(/outside cargo's target directory/);
    expect(error(() => plan([{ imageName: 'one', imageDir: 'one', step: step('/etc/passwd') }]))).toMatch(/outside cargo's target directory/);
  });

  it('reports every broken request at once, naming its manifest', () => {
    expect(
      error(() =>
        plan([
          { imageName: 'one', imageDir: 'one', step: cargoStep({ bins: ['nope'] }) },
          { imageName: 'two', imageDir: 'two', step: cargoStep({ bins: ['b'], extract: { pb: { x: '.' } } }) },
          { imageName: 'three', imageDir: '../three', step: cargoStep({ bins: ['b'] }) },
        ]),
      ),
    ).toBe(
      'one/mzbuild.yml: bin nope does not exist in cargo workspace\n' +
        'two/mzbuild.yml: extract: destination . (of pb x) is outside the image directory two\n' +
        '../three/mzbuild.yml: the image directory ../three is not a directory inside the repository',
    );
  });

  it('rejects outputs of one image that overwrite each other, across its steps', () => {
    expect(
      error(() =>
        plan([
          { imageName: 'one', imageDir: 'one', step: cargoStep({ bins: ['a'] }) },
          { imageName: 'one', imageDir: 'one', step: cargoStep({ bins: ['b'], extract: { pb: { x: 'a' } } }) },
        ]),
      ),
    ).toBe('one/mzbuild.yml: two outputs at one/a and one/a: one would overwrite the other');
  });
});
