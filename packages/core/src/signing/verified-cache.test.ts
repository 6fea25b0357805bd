import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VerifiedCache } from './verified-cache';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mzbuild-verified-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const entry = (n: number) => ({ digest: `sha256:${String(n).padStart(64, '0')}`, key: `sha256:${'f'.repeat(64)}`, identity: `ghcr.io/acme/web:mzbuild-${n}` });

it('remembers verifications across runs, in a file written by a rename', () => {
  const file = join(dir, 'cache', 'signatures.json');
  const first = VerifiedCache.open(file);
  expect(first.has(entry(1))).toBe(false);
  first.add(entry(1));
  expect(first.has(entry(1))).toBe(true);
  first.save();
  expect(readdirSync(join(dir, 'cache'))).toEqual(['signatures.json']);
  const second = VerifiedCache.open(file);
  expect(second.has(entry(1))).toBe(true);
  expect(second.has({ ...entry(1), key: `sha256:${'e'.repeat(64)}` })).toBe(false);
  expect(second.has({ ...entry(1), identity: 'ghcr.io/acme/web:mzbuild-2' })).toBe(false);
});

it('merges what another run wrote since it was read', () => {
  const file = join(dir, 'signatures.json');
  const a = VerifiedCache.open(file);
  const b = VerifiedCache.open(file);
  a.add(entry(1));
  b.add(entry(2));
  a.save();
  b.save();
  const read = VerifiedCache.open(file);
  expect([read.has(entry(1)), read.has(entry(2))]).toEqual([true, true]);
});

it('writes nothing when nothing was added, and starts empty from a file deleted, damaged or of another version', () => {
  const file = join(dir, 'signatures.json');
  VerifiedCache.open(file).save();
  expect(readdirSync(dir)).toEqual([]);
  for (const text of ['{"version":1,"verified":', '{"version":2,"verified":["a b c"]}', '[]']) {
    writeFileSync(file, text);
    expect(VerifiedCache.open(file).has(entry(1))).toBe(false);
  }
  const cache = VerifiedCache.open(file);
  cache.add(entry(3));
  cache.save();
  expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, verified: [`${entry(3).digest} ${entry(3).key} ${entry(3).identity}`] });
});

it('is no error where it cannot be written', () => {
  writeFileSync(join(dir, 'file'), '');
  const cache = VerifiedCache.open(join(dir, 'file', 'signatures.json'));
  cache.add(entry(1));
  expect(() => cache.save()).not.toThrow();
  expect(cache.has(entry(1))).toBe(true);
});
