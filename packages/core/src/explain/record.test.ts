// The inputs record's bytes: a state read back is the state written, the same state always gives the same bytes, and what is not a record is refused with why.
import { gzipSync } from 'node:zlib';
import { decodeRecord, encodeRecord, recordReference } from './record';
import type { ImageState } from './state';

const state: ImageState = {
  image: 'app',
  fingerprint: 'F'.repeat(32),
  inputs: new Map([
    ['images/app/run.sh', { mode: 0o100755, sha1: 'b'.repeat(40) }],
    ['images/app/Dockerfile', { mode: 0o100644, sha1: 'a'.repeat(40) }],
  ]),
  config: { profile: 'optimized', arch: 'x86_64', coverage: 'false', sanitizer: 'none', mode: 'correct' },
  extras: ['d,e,i,m,o,p,t,z'],
  dependencies: { base: 'B'.repeat(32) },
};

it('reads back what it wrote, byte for byte the same each time', () => {
  const bytes = encodeRecord(state);
  expect(encodeRecord({ ...state, inputs: new Map([...state.inputs].reverse()) })).toEqual(bytes);
  expect(decodeRecord(bytes)).toEqual(state);
});

it('refuses what is not a record of this format, saying why', () => {
  expect(decodeRecord(Buffer.from('nope'))).toBe('it is not gzip’d JSON');
  expect(decodeRecord(gzipSync(JSON.stringify({ format: 2 })))).toMatch(/format 2 is not 1/);
  expect(decodeRecord(gzipSync(JSON.stringify({ format: 1, image: 'a', fingerprint: 'b', config: {}, dependencies: {}, extras: [], inputs: [{ path: 'x' }] })))).toMatch(/not \{path, mode, sha1\}/);
});

it('puts the record beside the image under its own tag', () => {
  expect(recordReference('localhost:5000/team/app:mzbuild-ABC', 'ABC')).toBe('localhost:5000/team/app:mzbuild-ABC.inputs');
});
