import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCargoBuilds, type PreImageOptions } from '../../packages/core/src/preimage/pre-images';
import type { FingerprintConfig } from '../../packages/core/src/config';
import { cargoStep, ToolDir } from '../support/build-tools';
import { crate, GitRepo, image } from '../support/git-repo';
import { errorOf } from '../support/resolve';

/**
 * A fake cargo (a shell script given as the cargo command): no Rust is compiled. It logs its
 * arguments to cargo.log, counts its runs, records whether target/<triple>/marker exists, then
 * does what the test says for that run: fail with some output, or "build" by copying /bin/true
 * where cargo would put the binary and printing cargo's JSON message for it.
 */
const DEV: FingerprintConfig = { profile: 'dev', arch: 'x86_64', coverage: false, sanitizer: 'none', compat: 'mzbuild' };

let repo: GitRepo;
let tools: ToolDir;
let output: string[];

interface Run {
  /** Lines for stderr, then exit 101. */
  fail?: string[];
  /** JSON messages to print (as given) after "building". */
  json?: string[];
  /** Target directory to "build" into; default <root>/target. */
  targetDir?: string;
  triple?: string;
  profileDir?: string;
}

function fakeCargo(runs: Run[]): void {
  const cases = runs
    .map((run, i) => {
      if (run.fail) return `  ${i + 1}) ${run.fail.map((line) => `echo '${line}' >&2`).join('; ')}; exit 101 ;;`;
      const dir = `${run.targetDir ?? repo.path('target')}/${run.triple ?? 'x86_64-unknown-linux-gnu'}/${run.profileDir ?? 'debug'}`;
      const json = (run.json ?? defaultJson(`${dir}/hello`)).map((line) => `echo '${line}'`).join('; ');
      return `  ${i + 1}) mkdir -p '${dir}' && cp /bin/true '${dir}/hello' && ${json || 'true'} ;;`;
    })
    .join('\n');
  tools.script(
    'cargo',
    `n=$(($(cat '${tools.path('count')}' 2>/dev/null || echo 0) + 1)); echo $n > '${tools.path('count')}'\n` +
      `echo "$*" >> '${tools.path('cargo.log')}'\n` +
      `[ -e '${repo.path('target/x86_64-unknown-linux-gnu/marker')}' ] && echo "run $n: marker present" >> '${tools.path('marker.log')}'\n` +
      `case $n in\n${cases}\n  *) echo "unexpected run $n" >&2; exit 1 ;;\nesac\n`,
  );
}

function defaultJson(executable: string): string[] {
  return [
    JSON.stringify({
      reason: 'compiler-artifact',
      package_id: `path+file://${repo.path('hello')}#0.1.0`,
      target: { kind: ['bin'], name: 'hello' },
      executable,
      filenames: [executable],
      fresh: false,
    }),
  ];
}

function options(extra: Partial<PreImageOptions> = {}): PreImageOptions {
  return {
    root: repo.root,
    config: DEV,
    cargoCommand: [tools.path('cargo')],
    env: { PATH: tools.pathWithShims(), CARGO_TARGET_DIR: undefined, CARGO_BUILD_TARGET_DIR: undefined },
    onOutput: (line) => output.push(line),
    ...extra,
  };
}

const request = (step = cargoStep({ bins: ['hello'] })) => [{ imageName: 'img', imageDir: 'img', step }];

beforeEach(() => {
  repo = new GitRepo();
  tools = new ToolDir();
  output = [];
  repo.write({
    'Cargo.toml': '[workspace]\nmembers = ["hello"]\n',
    '.gitignore': '/target\n',
    ...crate('hello', 'hello', '', { 'src/main.rs': 'fn main() {}\n' }),
    ...image('img', 'img'),
    'img/.gitignore': '/hello\n/out\n',
  });
  repo.commit();
});
afterEach(() => {
  repo.dispose();
  tools.dispose();
});

function plantMarker(dir = repo.path('target/x86_64-unknown-linux-gnu')): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'marker'), '');
}

describe('corrupted incremental state', () => {
  it('removes target/<triple> and builds exactly once more', async () => {
    plantMarker();
    fakeCargo([{ fail: ['error: internal compiler error: Found unstable fingerprints for evaluate_obligation(x)'] }, {}]);
    await runCargoBuilds(request(), options());
    expect(tools.log('cargo')).toHaveLength(2);
    expect(tools.log('cargo')[0]).toBe(tools.log('cargo')[1]);
    expect(tools.log('marker')).toEqual(['run 1: marker present']);
    expect(existsSync(repo.path('img/hello'))).toBe(true);
    expect(output).toContain(
      'note: cargo failed with a sign of corrupted incremental state or a compiler crash ("Found unstable fingerprints for"); ' +
        'removing target/x86_64-unknown-linux-gnu and building once more',
    );
  });

  it.each([
    'thread rustc panicked at compiler/rustc_metadata/src/rmeta/def_path_hash_map.rs:23:54:',
    'ld.lld: error: undefined symbol: foo',
    'process did not exit successfully: `rustc …` (signal: 11, SIGSEGV: invalid memory reference)',
  ])('retries on %s', async (line) => {
    fakeCargo([{ fail: [line] }, {}]);
    await runCargoBuilds(request(), options());
    expect(tools.log('cargo')).toHaveLength(2);
  });

  it('fails with a UserError that says so when the retry fails the same way', async () => {
    fakeCargo([{ fail: ['Found unstable fingerprints for x'] }, { fail: ['Found unstable fingerprints for x'] }]);
    expect(await errorOf(runCargoBuilds(request(), options()))).toBe(
      'cargo build failed again (exit 101) after removing target/x86_64-unknown-linux-gnu: the output still says ' +
        '"Found unstable fingerprints for", so this is not (only) stale incremental state; it may be a compiler bug or a real link error: ' +
        'see the diagnostics above',
    );
    expect(tools.log('cargo')).toHaveLength(2);
  });

  it('removes the triple directory of CARGO_TARGET_DIR, not of target/', async () => {
    const targetDir = mkdtempSync(join(tmpdir(), 'mzbuild-target-'));
    try {
      plantMarker();
      plantMarker(join(targetDir, 'x86_64-unknown-linux-gnu'));
      fakeCargo([{ fail: ['Found unstable fingerprints for x'] }, { targetDir }]);
      await runCargoBuilds(request(), options({ env: { CARGO_TARGET_DIR: targetDir } }));
      expect(existsSync(join(targetDir, 'x86_64-unknown-linux-gnu/marker'))).toBe(false);
      expect(existsSync(repo.path('target/x86_64-unknown-linux-gnu/marker'))).toBe(true);
      expect(output).toContain(
        'note: cargo failed with a sign of corrupted incremental state or a compiler crash ("Found unstable fingerprints for"); ' +
          `removing ${targetDir}/x86_64-unknown-linux-gnu and building once more`,
      );
    } finally {
      rmSync(targetDir, { recursive: true, force: true });
    }
  });
});

describe('other failures', () => {
  it('are a UserError with the exit code, after one run, the diagnostics streamed', async () => {
    fakeCargo([{ fail: ['error[E0425]: cannot find value `x` in this scope'] }]);
    expect(await errorOf(runCargoBuilds(request(), options()))).toBe('cargo build failed (exit 101); its diagnostics are above');
    expect(tools.log('cargo')).toHaveLength(1);
    expect(output).toContain('error[E0425]: cannot find value `x` in this scope');
  });

  it('blame a missing cross linker when linking for another architecture fails', async () => {
    fakeCargo([{ fail: ['error: linking with `cc` failed: exit status: 1', '/usr/bin/ld: foo.o: Relocations in generic ELF (EM: 183)'] }]);
    expect(await errorOf(runCargoBuilds(request(), options({ config: { ...DEV, arch: 'aarch64' }, hostArch: 'x86_64' })))).toBe(
      'cargo build failed (exit 101) linking for aarch64-unknown-linux-gnu: linking aarch64-unknown-linux-gnu binaries on this x86_64 host ' +
        "needs a cross linker: install Debian's gcc-aarch64-linux-gnu (apt-get install gcc-aarch64-linux-gnu) and set " +
        'CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc',
    );
  });

  it('a cargo command that does not exist is a UserError', async () => {
    expect(await errorOf(runCargoBuilds(request(), options({ cargoCommand: ['/no/such/cargo'] })))).toBe(
      '/no/such/cargo is not installed or not on PATH; install Rust (https://rustup.rs), or set the cargo command',
    );
  });
});

describe('the cargo command', () => {
  it.each([
    ['dev', [], 'debug'],
    ['release', ['--release'], 'release'],
    ['optimized', ['--profile', 'optimized'], 'optimized'],
  ] as const)('for the %s profile passes %j', async (profile, flags, profileDir) => {
    fakeCargo([{ profileDir }]);
    await runCargoBuilds(request(), options({ config: { ...DEV, profile } }));
    expect(tools.log('cargo')).toEqual([
      ['build --target x86_64-unknown-linux-gnu --bin hello --package=hello', ...flags, '--message-format=json-render-diagnostics', '--locked'].join(' '),
    ]);
  });

  it('takes leading arguments and extra environment', async () => {
    tools.script('cargo', `echo "$* $EXTRA" >> '${tools.path('cargo.log')}'\nexit 1\n`);
    await errorOf(runCargoBuilds(request(), options({ cargoCommand: [tools.path('cargo'), '+stable'], env: { EXTRA: 'extra' } })));
    expect(tools.log('cargo')[0]).toMatch(/^\+stable build .* extra$/);
  });

  it('adds -Cinstrument-coverage to RUSTFLAGS for a coverage build', async () => {
    tools.script('cargo', `echo "$RUSTFLAGS" >> '${tools.path('cargo.log')}'\nexit 1\n`);
    await errorOf(runCargoBuilds(request(), options({ config: { ...DEV, coverage: true }, env: { RUSTFLAGS: '--cfg=x' } })));
    expect(tools.log('cargo')).toEqual(['--cfg=x -Cinstrument-coverage']);
  });

  it('refuses sanitizer builds before running cargo', async () => {
    fakeCargo([{}]);
    expect(await errorOf(runCargoBuilds(request(), options({ config: { ...DEV, sanitizer: 'address', compat: 'mzbuild' } })))).toMatch(
      /^sanitizer builds \(address\) are not supported/,
    );
    expect(tools.log('cargo')).toEqual([]);
  });
});

describe('finding what cargo built', () => {
  it('falls back to where cargo puts binaries when a wrapper passes no JSON on', async () => {
    fakeCargo([{ json: [] }]);
    await runCargoBuilds(request(), options());
    expect(existsSync(repo.path('img/hello'))).toBe(true);
  });

  it('says so when the binary is nowhere', async () => {
    tools.script('cargo', 'exit 0\n');
    expect(await errorOf(runCargoBuilds(request(), options()))).toBe(
      'img/mzbuild.yml: cargo reported no executable for bin hello, and target/x86_64-unknown-linux-gnu/debug/hello does not exist',
    );
  });

  it('maps the paths of a builder container to the host', async () => {
    fakeCargo([
      {
        json: [
          ...defaultJson('/mnt/build/x86_64-unknown-linux-gnu/debug/hello'),
          JSON.stringify({
            reason: 'build-script-executed',
            package_id: 'path+file:///mnt/src/hello#0.1.0',
            out_dir: '/mnt/build/x86_64-unknown-linux-gnu/debug/build/hello-0123/out',
          }),
        ],
      },
    ]);
    mkdirSync(repo.path('target/x86_64-unknown-linux-gnu/debug/build/hello-0123/out/o'), { recursive: true });
    writeFileSync(repo.path('target/x86_64-unknown-linux-gnu/debug/build/hello-0123/out/o/f'), 'f');
    await runCargoBuilds(
      request(cargoStep({ bins: ['hello'], extract: { hello: { o: 'out' } } })),
      options({ mapPath: (path) => path.replace(/^\/mnt\/build\//, `${repo.path('target')}/`) }),
    );
    expect(existsSync(repo.path('img/hello'))).toBe(true);
    expect(existsSync(repo.path('img/out/f'))).toBe(true);
  });

  it('uses only OUT_DIRs of the target triple, not those of build scripts built for the host', async () => {
    const hostOut = repo.path('target/debug/build/hello-1/out');
    mkdirSync(join(hostOut, 'o'), { recursive: true });
    fakeCargo([
      {
        json: [
          ...defaultJson(repo.path('target/x86_64-unknown-linux-gnu/debug/hello')),
          JSON.stringify({ reason: 'build-script-executed', package_id: 'hello 0.1.0 (path+file:///x/hello)', out_dir: hostOut }),
        ],
      },
    ]);
    expect(await errorOf(runCargoBuilds(request(cargoStep({ bins: ['hello'], extract: { hello: { o: 'out' } } })), options()))).toMatch(
      /^img\/mzbuild.yml: extract: cargo ran no build script of package hello for x86_64-unknown-linux-gnu/,
    );
  });
});

describe('stripping binaries for another architecture', () => {
  const aarch64 = { config: { ...DEV, arch: 'aarch64' as const }, hostArch: 'x86_64' as const };

  it('uses the cross binutils when installed', async () => {
    fakeCargo([{ triple: 'aarch64-unknown-linux-gnu' }]);
    tools.script('bin/aarch64-linux-gnu-strip', `echo "$*" >> '${tools.path('xstrip.log')}'\n`);
    await runCargoBuilds(request(), options(aarch64));
    expect(tools.log('xstrip')).toEqual([`--strip-debug ${repo.path('img/hello')}`]);
  });

  it('skips stripping, with a note, when they are not', async () => {
    fakeCargo([{ triple: 'aarch64-unknown-linux-gnu' }]);
    tools.loggingShim('strip');
    await runCargoBuilds(request(), options({ ...aarch64, env: { PATH: `${tools.path('bin')}:/usr/bin:/bin` } }));
    expect(tools.log('strip')).toEqual([]);
    expect(output).toContain(
      'note: not running strip on the aarch64 binaries: aarch64-linux-gnu-strip is not installed (apt-get install binutils-aarch64-linux-gnu); ' +
        'they keep their debug information',
    );
    expect(existsSync(repo.path('img/hello'))).toBe(true);
  });

  it('fails when strip fails', async () => {
    fakeCargo([{}]);
    tools.script('bin/strip', 'echo "strip: broken" >&2; exit 1\n');
    expect(await errorOf(runCargoBuilds(request(), options()))).toBe(`strip --strip-debug ${repo.path('img/hello')} failed (exit 1)`);
    expect(output).toContain('strip: broken');
  });
});
