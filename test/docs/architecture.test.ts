import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/**
 * The rules of docs/architecture.md, checked: the rooms of core load only rooms above them in
 * its table (type-only imports aside); no source file passes 300 lines; every source file opens
 * with a comment.
 */
const ROOT = join(__dirname, '../..');
const CORE = join(ROOT, 'packages/core/src');

/** The rooms in the order of docs/architecture.md's table; a room may import its own and earlier ones. */
const ROOMS: string[][] = [
  ['errors', 'text', 'paths', 'base32', 'semaphore', 'pathspec', 'atomic-file', 'lock-file', 'timings', 'buffered-hash'],
  ['process'],
  ['config', 'config-schema', 'plugin-options'],
  ['file-hash', 'file-stats', 'hash-cache', 'model-cache', 'said-warnings'],
  ['git'],
  ['revision'],
  ['manifest'],
  ['dockerfile'],
  ['cargo', 'parsers'],
  ['image-reader', 'repository'],
  ['input-rules'],
  ['inputs', 'file-hasher', 'hash-worker', 'digest', 'fingerprint'],
  ['inference'],
  // The registry's two format files, which import nothing but errors: signing reads references
  // and descriptors with them, and the registry's requests use signing.
  ['registry-formats'],
  ['signing'],
  ['registry'],
  ['cache-server'],
  ['docker'],
  ['preimage'],
  ['context'],
  ['explain'],
  ['acquire'],
  ['publish'],
  ['cli'],
  ['index'],
];
const rank = (room: string) => ROOMS.findIndex((group) => group.includes(room));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}
const FORMATS = new Set(['registry/manifests.ts', 'registry/reference.ts']);
const roomOf = (file: string) => {
  const path = relative(CORE, file);
  return FORMATS.has(path.endsWith('.ts') ? path : `${path}.ts`) ? 'registry-formats' : path.split('/')[0]!.replace(/\.ts$/, '');
};

it('knows every room of core', () => {
  const unknown = [...new Set(sources(CORE).map(roomOf))].filter((room) => rank(room) < 0);
  expect(unknown).toEqual([]);
});

it('has every arrow between the rooms of core run one way', () => {
  const upward: string[] = [];
  for (const file of sources(CORE)) {
    // Type-only imports are gone at run time; the arrows are what loads what.
    for (const [, target] of readFileSync(file, 'utf8').matchAll(/^(?!import type )[^\n]*from '(\.[^']+)'/gm)) {
      const to = roomOf(normalize(join(dirname(file), target!)));
      const from = roomOf(file);
      if (to !== from && rank(to) > rank(from)) upward.push(`${relative(CORE, file)} imports ${target} (${to})`);
    }
  }
  expect(upward).toEqual([]);
});

it('keeps every source file under 300 lines, opening with a comment that says what it is for', () => {
  const files = [...sources(CORE), ...sources(join(ROOT, 'packages/nx/src'))];
  const long = files.filter((file) => readFileSync(file, 'utf8').split('\n').length > 300).map((file) => relative(ROOT, file));
  const silent = files.filter((file) => !/^(\/\*\*|\/\/)/.test(readFileSync(file, 'utf8'))).map((file) => relative(ROOT, file));
  expect({ long, silent }).toEqual({ long: [], silent: [] });
});

function imports(file: string): string[] {
  const text = readFileSync(join(CORE, file), 'utf8');
  return [...text.matchAll(/(?:^import [^;]*? from |^export [^;]*? from |require\()'([^']+)'/gm)].map((m) => m[1]!);
}

it('keeps signing/ below the registry’s requests: node:crypto, node:fs, tweetnacl, the leaves, and the registry’s format files', () => {
  const allowed = /^(?:node:[a-z/]+|tweetnacl|\.\/[a-z-]+|\.\.\/(?:errors|atomic-file)|\.\.\/registry\/(?:manifests|reference)|\.\.\/\.\.\/package\.json)$/;
  const files = readdirSync(join(CORE, 'signing')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  expect(files.length).toBeGreaterThan(5);
  expect(imports('signing/keys.ts')).toEqual(expect.arrayContaining(['node:crypto', '../errors', './pem']));
  for (const file of files) for (const spec of imports(`signing/${file}`)) expect(`${file}: ${spec}`).toMatch(new RegExp(`: ${allowed.source.slice(1)}`));
  // The registry files it may use make no requests themselves.
  for (const file of ['registry/manifests.ts', 'registry/reference.ts']) for (const spec of imports(file)) expect(`${file}: ${spec}`).toMatch(/: (?:node:[a-z]+|\.\.\/errors)$/);
});
