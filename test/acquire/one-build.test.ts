import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { CACHE_DIR, MZIMAGE, mzimage, mzimageAsync, type Run } from '../support/cli';
import { ToolDir } from '../support/build-tools';
import { imageExists, removeImages, requireDocker, uniqueName } from '../support/docker';
import { GitRepo, image } from '../support/git-repo';

/**
 * One build per image on one machine, with the real engine: two `mzimage acquire` at once build
 * each image once; a run killed with SIGKILL while it builds leaves no lock that stops the next.
 * And no stale pre-image output gets into an image. base ← app, app with a copy pre-image.
 * docker is a wrapper that logs every build and can be made slow, or hang.
 */
let repo: GitRepo;
let tools: ToolDir;
const prefix = `${uniqueName('once')}-`;

beforeAll(() => {
  requireDocker();
  tools = new ToolDir();
  // Builds are logged and take a second, so that two runs overlap; with HANG set, a build says its pid there and hangs.
  tools.script(
    'docker',
    `case "$1 $2" in "build "*|"buildx build") echo "$*" >> '${tools.path('builds.log')}'\n` +
      `  if [ -n "$HANG" ]; then echo $$ > "$HANG"; exec sleep 120; fi; sleep 1;; esac\nexec docker "$@"\n`,
  );
  repo = new GitRepo();
  repo.write({
    ...image('images/base', 'base', 'FROM scratch\nCOPY motd /motd\n'),
    'images/base/motd': 'base\n',
    ...image('images/app', 'app', 'MZFROM base\nCOPY . /app/\n', 'pre-image:\n  - type: copy\n    source: assets\n    destination: assets\n'),
    'images/app/.gitignore': '/assets\n',
    'assets/a.txt': 'a\n',
    'assets/b.txt': 'b\n',
  });
  repo.commit();
});
afterAll(() => {
  if (repo) removeImages(...Object.values(references()));
  repo?.dispose();
  tools?.dispose();
});

const env = (extra: NodeJS.ProcessEnv = {}) => ({ MZBUILD_DOCKER: tools.path('docker'), CI: '', ...extra });
const acquire = (extra: NodeJS.ProcessEnv = {}) => mzimageAsync(repo.root, ['acquire', 'app', '--image-prefix', prefix], env(extra));
const builds = () => tools.log('builds').map((line) => /--tag (\S+)/.exec(line)?.[1]?.split('/')[1]?.split(':')[0]);
const references = (): Record<string, string> =>
  Object.fromEntries(JSON.parse(mzimage(repo.root, ['spec', '--all', '--json', '--image-prefix', prefix]).stdout).map((s: { name: string; reference: string }) => [s.name, s.reference]));
const succeeded = (run: Run) => expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });

/** The files of an image, from an exported container made of it (a scratch image has no shell to ask). */
function imageFiles(reference: string): string[] {
  const id = execFileSync('docker', ['create', reference, 'none'], { encoding: 'utf8' }).trim();
  try {
    return execFileSync('sh', ['-c', `docker export ${id} | tar -t`], { encoding: 'utf8' }).split('\n').filter((f) => /^(app|motd)/.test(f));
  } finally {
    execFileSync('docker', ['rm', id]);
  }
}

it('builds each image once when two runs need it at once; the second waits and uses what the first built', async () => {
  const [first, second] = await Promise.all([acquire(), acquire()]);
  succeeded(first);
  succeeded(second);
  expect(builds().sort()).toEqual([`${prefix}app`, `${prefix}base`]);
  const summaries = [first.stdout, second.stdout].map((summary) => summary.split('\n').find((line) => line.startsWith('mzbuild:')));
  expect(summaries.sort()).toEqual(['mzbuild: 2 images: 0 built, 0 from the registry, 2 found locally', 'mzbuild: 2 images: 2 built, 0 from the registry, 0 found locally']);
  expect(first.stderr + second.stderr).toMatch(/waiting for another mzbuild run \(pid \d+\) that builds /);
  expect(first.stderr + second.stderr).toContain('the other run built it: using it');
  for (const reference of Object.values(references())) expect(imageExists(reference)).toBe(true);
}, 120_000);

it('is not stopped by a run killed with SIGKILL while it builds', async () => {
  removeImages(...Object.values(references()));
  tools.clearLog('builds');
  const hang = tools.path('hang.pid');
  // The cache directory of the other runs (test/support/cli.ts's): they share its locks.
  const killed = spawn(MZIMAGE, ['acquire', 'app', '--image-prefix', prefix], { cwd: repo.root, env: { ...process.env, ...env({ HANG: hang }), MZBUILD_CACHE_DIR: CACHE_DIR }, stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  while (!existsSync(hang) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  killed.kill('SIGKILL');
  process.kill(Number(readFileSync(hang, 'utf8')), 'SIGKILL'); // its docker build, which outlives it
  await new Promise((resolve) => killed.on('exit', resolve));

  const started = Date.now();
  const rerun = await acquire();
  succeeded(rerun);
  expect(rerun.stdout).toContain('2 images: 2 built');
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(builds()).toEqual([`${prefix}base`, `${prefix}base`, `${prefix}app`]);
}, 120_000);

it('leaves no output of an earlier pre-image in the next image', async () => {
  succeeded(await acquire());
  expect(imageFiles(references()['app']!)).toEqual(expect.arrayContaining(['app/assets/a.txt', 'app/assets/b.txt']));
  // The copy step now takes b.txt only: a.txt, still in the image directory from the last build, must not get in.
  repo.write({ 'images/app/mzbuild.yml': 'name: app\npre-image:\n  - type: copy\n    source: assets\n    destination: assets\n    matching: b.txt\n' });
  repo.commit();
  expect(existsSync(repo.path('images/app/assets/a.txt'))).toBe(true);
  succeeded(await acquire());
  const files = imageFiles(references()['app']!);
  expect(files).toContain('app/assets/b.txt');
  expect(files).not.toContain('app/assets/a.txt');
  expect(existsSync(repo.path('images/app/assets/a.txt'))).toBe(false);
}, 120_000);
