import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The import rules docs/architecture.md states for the signing room, held to the code. */
const SRC = join(__dirname, '../../packages/core/src');

function imports(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  return [...text.matchAll(/(?:^import [^;]*? from |^export [^;]*? from |require\()'([^']+)'/gm)].map((m) => m[1]!);
}

it('keeps signing/ below the registry’s requests: node:crypto, node:fs, tweetnacl, the leaves, and the registry’s format files', () => {
  const allowed = /^(?:node:[a-z/]+|tweetnacl|\.\/[a-z-]+|\.\.\/(?:errors|atomic-file)|\.\.\/registry\/(?:manifests|reference)|\.\.\/\.\.\/package\.json)$/;
  const files = readdirSync(join(SRC, 'signing')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  expect(files.length).toBeGreaterThan(5);
  expect(imports('signing/keys.ts')).toEqual(expect.arrayContaining(['node:crypto', '../errors', './pem']));
  for (const file of files) for (const spec of imports(`signing/${file}`)) expect(`${file}: ${spec}`).toMatch(new RegExp(`: ${allowed.source.slice(1)}`));
  // The registry files it may use make no requests themselves.
  for (const file of ['registry/manifests.ts', 'registry/reference.ts']) for (const spec of imports(file)) expect(`${file}: ${spec}`).toMatch(/: (?:node:[a-z]+|\.\.\/errors)$/);
});

it('has every source file of signing/ and registry/ open with a comment saying what it is for', () => {
  for (const room of ['signing', 'registry']) {
    for (const file of readdirSync(join(SRC, room)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      expect(`${room}/${file}: ${readFileSync(join(SRC, room, file), 'utf8').split('\n')[0]}`).toMatch(/^[\w/.-]+: \/\/ \S/);
    }
  }
});
