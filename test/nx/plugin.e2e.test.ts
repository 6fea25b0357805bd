import { readFileSync } from 'node:fs';
import { mzimage } from '../support/cli';
import { cargoWorkspace, crate, image } from '../support/git-repo';
import { NxWorkspace } from '../support/nx-workspace';

/**
 * The plugin in a real Nx workspace:
 *   base ← server ← top, base ← other; tool stands alone.
 *   server builds bin `server` (crate server → common); tool builds bin `tool` (crate tool → util).
 */
let ws: NxWorkspace;
const IMAGES = ['base', 'docs', 'extra', 'other', 'server', 'tool', 'top'];

beforeAll(() => {
  ws = new NxWorkspace();
  ws.write({
    ...cargoWorkspace(['crates/server', 'crates/common', 'crates/tool', 'crates/util']),
    ...crate('crates/server', 'server', '[dependencies]\ncommon = { path = "../common" }\n', { 'src/main.rs': 'fn main() {}\n' }),
    ...crate('crates/common', 'common', '', { 'src/lib.rs': 'pub fn common() {}\n' }),
    ...crate('crates/tool', 'tool', '[dependencies]\nutil = { path = "../util" }\n', { 'src/main.rs': 'fn main() {}\n' }),
    ...crate('crates/util', 'util', '', { 'src/lib.rs': 'pub fn util() {}\n' }),
    ...image('images/base', 'base', 'FROM scratch\n', 'description: The base of everything.\n'),
    ...image('images/server', 'server', 'MZFROM base\nCOPY server /\n', 'pre-image:\n  - type: cargo-build\n    bin: server\n'),
    ...image('images/top', 'top', 'MZFROM server AS s\nFROM scratch\n'),
    ...image('images/other', 'other', 'MZFROM base\n'),
    ...image('images/tool', 'tool', 'FROM scratch\n', 'pre-image:\n  - type: cargo-build\n    bin: tool\n'),
    'crates/util/mzcompose.py': '# composition, left out of crate inputs\n',
    ...image('images/base/extra', 'extra', 'FROM scratch\n'),
    ...image('images/docs', 'docs', 'FROM scratch\nCOPY site /site\n', "pre-image:\n  - type: copy\n    source: docs-src\n    destination: site\n    matching: '*.md'\n"),
    'images/docs/.gitignore': '/site\n',
    'docs-src/guide.md': '# Guide\n',
    'README.md': '# A workspace\n',
  });
  ws.commit();
});
afterAll(() => ws?.dispose());

it('infers exactly one project per image', () => {
  expect(JSON.parse(ws.nxOk(['show', 'projects', '--json'])).sort()).toEqual(IMAGES);
});

it('has exactly the MZFROM edges in the project graph', () => {
  ws.nxOk(['graph', `--file=${ws.path('graph.json')}`]);
  const graph = JSON.parse(readFileSync(ws.path('graph.json'), 'utf8')).graph;
  const edges = Object.values(graph.dependencies as Record<string, { source: string; target: string; type: string }[]>)
    .flat()
    .map((d) => `${d.source}->${d.target}:${d.type}`)
    .sort();
  expect(edges).toEqual(['other->base:static', 'server->base:static', 'top->server:static']);
});

it('shows the description, technologies and target descriptions for Nx Console', () => {
  const project = JSON.parse(ws.nxOk(['show', 'project', 'server', '--json']));
  expect(project.metadata.technologies).toEqual(['docker']);
  expect(project.metadata.mzbuild).toMatchObject({ image: 'server', dependencies: ['base'], crates: ['crates/common', 'crates/server'] });
  expect(JSON.parse(ws.nxOk(['show', 'project', 'base', '--json'])).metadata.description).toBe('The base of everything.');
  for (const target of ['fingerprint', 'docker-build', 'publish']) {
    expect(project.targets[target].metadata.description).toEqual(expect.any(String));
    expect(project.targets[target].cache).toBe(false);
  }
  expect(project.targets['docker-build'].dependsOn).toEqual(['^docker-build']);
  expect(project.targets.publish.dependsOn).toEqual(['^publish']);
});

it('prints, for every image, the fingerprint and reference that mzimage prints', () => {
  const output = ws.nxOk(['run-many', '-t', 'fingerprint', '--output-style=static']);
  const expected = JSON.parse(mzimage(ws.root, ['fingerprint', '--all', '--json']).stdout) as { name: string; fingerprint: string; reference: string }[];
  expect(expected.map((e) => e.name).sort()).toEqual(IMAGES);
  for (const { fingerprint, reference } of expected) {
    expect(output).toContain(fingerprint);
    expect(output).toContain(reference);
  }
});

describe('nx affected -t docker-build (task-level, Nx 24 default)', () => {
  /** The images whose `mzimage describe --transitive` inputs contain `file`. */
  function imagesUsing(file: string): string[] {
    return IMAGES.filter((name) => {
      const [described] = JSON.parse(mzimage(ws.root, ['describe', name, '--transitive', '--json']).stdout);
      return described.inputs.includes(file);
    });
  }

  const affected = (file: string) => ws.affected('docker-build', file);

  it.each([
    ['a file of a crate that one binary uses', 'crates/util/src/lib.rs', ['tool']],
    ['a file of a crate under a base of another image', 'crates/common/src/lib.rs', ['server', 'top']],
    ['Cargo.lock', 'Cargo.lock', ['server', 'tool', 'top']],
    ['a file of a base image', 'images/base/Dockerfile', ['base', 'other', 'server', 'top']],
    ['a README outside every input', 'README.md', []],
    ['a file that a copy pre-image copies', 'docs-src/guide.md', ['docs']],
    ['a file of an image nested in the directory of another', 'images/base/extra/Dockerfile', ['extra']],
    ['an mzcompose.py in a crate, which mzbuild leaves out', 'crates/util/mzcompose.py', []],
  ])('selects exactly the images whose inputs contain %s', (_what, file, expected) => {
    expect(imagesUsing(file)).toEqual(expected);
    expect(affected(file)).toEqual(expected);
  });
});

it('fails `nx show projects` with the file and line of a broken manifest', () => {
  const manifest = ws.path('images/other/mzbuild.yml');
  const original = readFileSync(manifest, 'utf8');
  try {
    ws.write({ 'images/other/mzbuild.yml': 'name: other\npublish: [\n' });
    const result = ws.nx(['show', 'projects']);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/images\/other\/mzbuild\.yml:3:1: invalid YAML/);
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
  } finally {
    ws.write({ 'images/other/mzbuild.yml': original });
  }
});

it('says a manifest warning once per change of the manifest, not on every nx command', () => {
  const manifest = ws.path('images/other/mzbuild.yml');
  const original = readFileSync(manifest, 'utf8');
  const warning = /images\/other\/mzbuild\.yml:2:1: warning: unknown key "split_debuginfo" is ignored/;
  try {
    ws.write({ 'images/other/mzbuild.yml': `${original}split_debuginfo: packed\n` });
    const first = ws.nx(['show', 'projects']);
    expect(first.stdout + first.stderr).toMatch(warning);
    const second = ws.nx(['show', 'projects']);
    expect(second.status).toBe(0);
    expect(second.stdout + second.stderr).not.toMatch(/warning/);
    // mzimage list --check says it whenever asked, whoever said it before.
    expect(mzimage(ws.root, ['list', '--check'], { MZBUILD_CACHE_DIR: ws.path('.nx/mzbuild-cache') }).stderr).toMatch(warning);
  } finally {
    ws.write({ 'images/other/mzbuild.yml': original });
  }
});
