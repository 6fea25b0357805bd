import { base32 } from './base32';
import type { FingerprintConfig } from './config';
import { configSalt, fullDigest, preImageExtra, selfDigest } from './digest';
import type { FileRecordSource } from './file-hasher';
import type { CargoBuild } from './manifest';

// The worked example of ../shared/spec/fingerprint.md §4: real data from Materialize's repository.
const UBUNTU_BASE: Record<string, string> = {
  'misc/images/ubuntu-base/Dockerfile': 'afd89db6c0004088124d84791d0815623ce1ef2b',
  'misc/images/ubuntu-base/README.md': 'd1b57057919203e8b218683eef920ad736fbb1ce',
  'misc/images/ubuntu-base/mzbuild.yml': '74eb872522196cdc93d4b617dbd06f4993e63f7e',
};
const knownHashes: FileRecordSource = {
  record: (path) => ({ mode: 0o100644, sha1: Buffer.from(UBUNTU_BASE[path]!, 'hex') }),
};
const OPTIMIZED: FingerprintConfig = { profile: 'optimized', arch: 'x86_64', coverage: false, sanitizer: 'none', compat: 'mzbuild' };

function ubuntuBase(config: FingerprintConfig): Buffer {
  return fullDigest(selfDigest(Object.keys(UBUNTU_BASE), knownHashes, [], config), []);
}

describe('the worked example', () => {
  it('gives ubuntu-base its self digest, raw digest and fingerprint', () => {
    const self = selfDigest(Object.keys(UBUNTU_BASE), knownHashes, [], OPTIMIZED);
    expect(self.toString('hex')).toBe('ec5c2d7182211a76196618b8bbd2998b1bc9351c');
    const raw = fullDigest(self, []);
    expect(raw.toString('hex')).toBe('91bbdf09b69c5ec1512cb493aba6d142b89c805f');
    expect(base32(raw)).toBe('SG556CNWTRPMCUJMWSJ2XJWRIK4JZAC7');
  });

  it('folds ubuntu-base into prod-base', () => {
    const self = Buffer.from('1772afbada89b1a07c51fea732ce91c1a86ef829', 'hex');
    const raw = fullDigest(self, [{ name: 'ubuntu-base', raw: ubuntuBase(OPTIMIZED) }]);
    expect(base32(raw)).toBe('6GPGIF3IIQ6LQ4S66KDDIAD2NDDOMSZZ');
  });

  it.each([
    ['aarch64 OPTIMIZED', { ...OPTIMIZED, arch: 'aarch64' }, 'UGSQLD7BGATYMPRWBTIFQ7JZXXMH2TNR'],
    ['x86_64 RELEASE', { ...OPTIMIZED, profile: 'release' }, 'PTQDHA4WZKHMCTVXN4MTC5CGU3QAAXEE'],
    ['x86_64 DEV', { ...OPTIMIZED, profile: 'dev' }, 'HXXWNIP5WRWDXFJ62RWJ6T5LWQMY6FIN'],
  ] as [string, FingerprintConfig, string][])('gives ubuntu-base %s the fingerprint %s', (_label, config, expected) => {
    expect(base32(ubuntuBase(config))).toBe(expected);
  });
});

describe('dependency folding', () => {
  it('folds dependencies in name order, whatever order they are given in', () => {
    const self = Buffer.alloc(20, 1);
    const a = { name: 'a', raw: Buffer.alloc(20, 2) };
    const b = { name: 'b', raw: Buffer.alloc(20, 3) };
    expect(fullDigest(self, [b, a])).toEqual(fullDigest(self, [a, b]));
    expect(fullDigest(self, [a, b])).not.toEqual(fullDigest(self, [a]));
  });
});

describe('the salts', () => {
  it('concatenates the five salts without separators', () => {
    expect(configSalt(OPTIMIZED)).toBe('profile=Profile.OPTIMIZEDarch=x86_64coverage=Falsesanitizer=nonemirror=ghcr');
    expect(configSalt({ profile: 'release', arch: 'aarch64', coverage: true, sanitizer: 'address', compat: 'mzbuild' })).toBe(
      'profile=Profile.RELEASEarch=aarch64coverage=Truesanitizer=addressmirror=ghcr',
    );
  });
});

describe('the character-split extra of a cargo-build pre-image', () => {
  const cargo: CargoBuild = { type: 'cargo-build', bins: ['x'], examples: [], strip: true, extract: {}, features: [] };
  it.each([
    ['RELEASE', { ...OPTIMIZED, profile: 'release' }, 'a,e,e,e,l,r,s'],
    ['OPTIMIZED', OPTIMIZED, 'd,e,i,i,m,o,p,t,z'],
    ['DEV', { ...OPTIMIZED, profile: 'dev' }, ''],
    ['OPTIMIZED with coverage', { ...OPTIMIZED, coverage: true }, 'a,c,d,e,e,e,g,i,i,m,o,o,p,r,t,v,z'],
    ['OPTIMIZED with ASan', { ...OPTIMIZED, sanitizer: 'address', compat: 'mzbuild' }, 'a,d,d,d,e,e,i,i,m,o,p,r,s,s,t,z'],
  ] as [string, FingerprintConfig, string][])('for %s is %j', (_label, config, expected) => {
    expect(preImageExtra(cargo, config)).toBe(expected);
  });

  it('is empty for a copy pre-image', () => {
    expect(preImageExtra({ type: 'copy', source: 's', destination: 'd', matching: '*' }, OPTIMIZED)).toBe('');
  });

  it('enters the self digest once per pre-image, so two steps differ from one', () => {
    const one = selfDigest([], knownHashes, [cargo], OPTIMIZED);
    const two = selfDigest([], knownHashes, [cargo, cargo], OPTIMIZED);
    expect(one).not.toEqual(two);
  });
});

describe('base32', () => {
  it.each([
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ])('encodes %j as RFC 4648 test vector %s (without padding)', (input, expected) => {
    expect(base32(Buffer.from(input))).toBe(expected);
  });
});
