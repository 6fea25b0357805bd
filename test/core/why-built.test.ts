// The build summaries' line of why: each image a run builds says what changed since the merge base
// with origin/HEAD (explain/run.ts's whyBuilt), with a real docker build.
import { randomBytes } from 'node:crypto';
import { mzimage } from '../support/cli';
import { requireDocker } from '../support/docker';
import { GitRepo, image } from '../support/git-repo';

let repo: GitRepo;
const name = `why-${randomBytes(4).toString('hex')}`;

beforeAll(() => {
  requireDocker();
  repo = new GitRepo();
  repo.write({ ...image(`images/${name}`, name, 'FROM scratch\nCOPY data.txt /\n'), [`images/${name}/data.txt`]: 'one\n' });
  repo.commit();
  repo.git('update-ref', 'refs/remotes/origin/main', 'HEAD');
  repo.git('symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main');
});
afterAll(() => repo?.dispose());

const acquire = () => {
  const run = mzimage(repo.root, ['acquire', name], { CI: '' });
  if (run.status !== 0) throw new Error(run.stderr);
  return run.stdout;
};

it('says of an image built as on the default branch that nothing had it', () => {
  expect(acquire()).toMatch(new RegExp(`\\n +why: unchanged since origin/main \\(merge base [0-9a-f]{12}\\), but neither the engine nor a registry has it\\n`));
});

it('names the inputs that changed since the merge base', () => {
  repo.write({ [`images/${name}/data.txt`]: 'two\n' });
  expect(acquire()).toMatch(new RegExp(`\\n +why: 1 input changed since origin/main \\(merge base [0-9a-f]{12}\\): images/${name}/data\\.txt\\n`));
});
