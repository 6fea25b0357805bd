import { mzimage } from '../support/cli';
import { cargoWorkspace, crate, image } from '../support/git-repo';
import { NxWorkspace } from '../support/nx-workspace';

/**
 * The Nx inputs follow the fingerprint mode in force (nx.json's `compat`): in each mode,
 * `nx affected` selects exactly the images whose inputs, as `mzimage describe` lists them in that
 * mode, contain a changed file. server builds bin `server`, whose crate reaches `inherited`
 * through `workspace = true` and `unix-only` through a `[target.'cfg(unix)']` table.
 */
let ws: NxWorkspace;
const IMAGES = ['plain', 'server'];

beforeAll(() => {
  ws = new NxWorkspace();
  ws.write({
    ...cargoWorkspace(['crates/server', 'crates/inherited', 'crates/unix-only'], '[workspace.dependencies]\ninherited = { path = "crates/inherited" }\n'),
    ...crate('crates/server', 'server', "[dependencies]\ninherited = { workspace = true }\n[target.'cfg(unix)'.dependencies]\nunix-only = { path = \"../unix-only\" }\n", {
      'src/main.rs': 'fn main() {}\n',
    }),
    ...crate('crates/inherited', 'inherited'),
    ...crate('crates/unix-only', 'unix-only'),
    '.cargo/config.toml': '[build]\n',
    'rust-toolchain.toml': '[toolchain]\nchannel = "stable"\n',
    ...image('images/server', 'server', 'FROM scratch\nCOPY server /\n', 'pre-image:\n  - type: cargo-build\n    bin: server\n'),
    ...image('images/plain', 'plain', 'FROM scratch\n'),
  });
  ws.commit();
});
afterAll(() => ws?.dispose());

const FILES = ['.cargo/config.toml', 'rust-toolchain.toml', 'crates/inherited/src/lib.rs', 'crates/unix-only/src/lib.rs', 'Cargo.lock'];

describe.each([
  ['correct', { server: FILES }],
  ['mzbuild', { server: ['Cargo.lock'] }],
] as const)('in %s mode', (mode, expected) => {
  beforeAll(() => ws.setPluginOptions({ compat: mode }));

  function imagesUsing(file: string): string[] {
    return IMAGES.filter((name) => {
      const [described] = JSON.parse(mzimage(ws.root, ['describe', name, '--transitive', '--json']).stdout);
      expect(described.mode).toBe(mode); // mzimage reads nx.json's compat too
      return described.inputs.includes(file);
    });
  }

  const affected = (file: string) => ws.affected('docker-build', file);

  it.each(FILES)('nx affected selects exactly the images whose inputs contain %s', (file) => {
    const images = (expected.server as readonly string[]).includes(file) ? ['server'] : [];
    expect(imagesUsing(file)).toEqual(images);
    expect(affected(file)).toEqual(images);
  });
});

it('has an explain target on each image project, which Nx Console shows as its help', () => {
  ws.setPluginOptions({});
  ws.write({ 'crates/inherited/src/lib.rs': 'pub fn changed() {}\n' });
  const output = ws.nxOk(['run', 'server:explain', '--since=HEAD', '--output-style=static']);
  expect(output).toMatch(/server: [A-Z2-7]{32}, was [A-Z2-7]{32} at HEAD \([0-9a-f]{12}\)\n\s+changed crates\/inherited\/src\/lib\.rs/);
  const project = JSON.parse(ws.nxOk(['show', 'project', 'server', '--json']));
  expect(project.targets.explain.metadata.help.command).toBe('npx mzimage explain server');
  expect(project.metadata.targetGroups.mzbuild).toContain('explain');
});
