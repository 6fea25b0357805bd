import { UserError } from '../../packages/core/src/errors';
import { parseChallenges } from '../../packages/core/src/registry/challenge';
import { isInsecureRegistry, registryOrigin } from '../../packages/core/src/registry/endpoint';
import { apiHost, formatReference, parseReference } from '../../packages/core/src/registry/reference';
import { Secrets } from '../../packages/core/src/registry/secrets';
import { Semaphore } from '../../packages/core/src/semaphore';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it.each([
    ['alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20' }],
    ['library/alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['index.docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['materialize/environmentd:v0.1', { registry: 'docker.io', repository: 'materialize/environmentd', tag: 'v0.1' }],
    ['ghcr.io/acme/monorepo/web:mzbuild-ABC', { registry: 'ghcr.io', repository: 'acme/monorepo/web', tag: 'mzbuild-ABC' }],
    ['ghcr.io/alpine', { registry: 'ghcr.io', repository: 'alpine', tag: 'latest' }],
    ['localhost/web', { registry: 'localhost', repository: 'web', tag: 'latest' }],
    ['localhost:5000/web', { registry: 'localhost:5000', repository: 'web', tag: 'latest' }],
    ['localhost:5000/a/b:t', { registry: 'localhost:5000', repository: 'a/b', tag: 't' }],
    ['127.0.0.1:5099/x_y.z-w__v:1', { registry: '127.0.0.1:5099', repository: 'x_y.z-w__v', tag: '1' }],
    ['[::1]:5000/web:1', { registry: '[::1]:5000', repository: 'web', tag: '1' }],
    ['Registry/web', { registry: 'Registry', repository: 'web', tag: 'latest' }], // upper case first component: a host, as for docker
    [`alpine@${DIGEST}`, { registry: 'docker.io', repository: 'library/alpine', digest: DIGEST }],
    [`ghcr.io/a/b:1@${DIGEST}`, { registry: 'ghcr.io', repository: 'a/b', tag: '1', digest: DIGEST }],
    [`localhost:5000/web@${DIGEST}`, { registry: 'localhost:5000', repository: 'web', digest: DIGEST }],
  ])('%s', (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });

  it.each([
    ['ghcr.io/Acme/web:1', /"ghcr.io\/Acme\/web:1".*repository names must be lower case/],
    ['acme/Web', /"acme\/Web".*repository names must be lower case/],
    ['', /empty/],
    ['alpine latest', /white space/],
    ['https://ghcr.io/a/b', /URL scheme/],
    ['ghcr.io/', /repository name is missing/],
    ['ghcr.io/a//b', /not a valid repository name/],
    ['ghcr.io/a/-b', /not a valid repository name/],
    ['alpine:', /not a valid tag/],
    ['alpine:-x', /not a valid tag/],
    [`alpine:${'t'.repeat(129)}`, /not a valid tag/],
    ['alpine@sha256:abc', /not a digest/],
    [`alpine@sha256:${'A'.repeat(64)}`, /64 lower-case hex/],
    [`alpine@sha256:${'a'.repeat(63)}`, /not a digest|64 lower-case hex/],
    [`alpine@md5:${'a'.repeat(32)}`, /not supported/],
    ['bad_host:5000/web', /not a valid registry host/],
    [`ghcr.io/${'a'.repeat(250)}`, /longer than 255/],
  ])('rejects %j', (input, message) => {
    let error: unknown;
    try {
      parseReference(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(message);
  });

  it('formats the full form, which parses to itself', () => {
    for (const input of ['alpine', 'ghcr.io/a/b:1', `localhost:5000/web@${DIGEST}`, `ghcr.io/a/b:1@${DIGEST}`, '[::1]:5000/x']) {
      const formatted = formatReference(parseReference(input));
      expect(formatReference(parseReference(formatted))).toBe(formatted);
    }
    expect(formatReference(parseReference('alpine'))).toBe('docker.io/library/alpine:latest');
    expect(formatReference(parseReference(`ghcr.io/a/b:1@${DIGEST}`))).toBe(`ghcr.io/a/b:1@${DIGEST}`);
  });

  it('talks to registry-1.docker.io for docker.io', () => {
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('ghcr.io')).toBe('ghcr.io');
    expect(apiHost('localhost:5000')).toBe('localhost:5000');
  });
});

describe('transport scheme', () => {
  it.each([
    ['localhost', true],
    ['localhost:5000', true],
    ['127.0.0.1:5099', true],
    ['127.1.2.3', true],
    ['[::1]:5000', true],
    ['ghcr.io', false],
    ['docker.io', false],
    ['registry.internal:5000', false],
    ['128.0.0.1:5000', false],
  ])('%s is plain HTTP: %s', (registry, insecure) => {
    expect(isInsecureRegistry(registry, {})).toBe(insecure);
  });

  it('uses plain HTTP for registries in MZBUILD_INSECURE_REGISTRIES, with or without their port', () => {
    const env = { MZBUILD_INSECURE_REGISTRIES: ' registry.internal:5000 , other.lan ' };
    expect(isInsecureRegistry('registry.internal:5000', env)).toBe(true);
    expect(isInsecureRegistry('registry.internal:6000', env)).toBe(false);
    expect(isInsecureRegistry('other.lan:1234', env)).toBe(true);
    expect(registryOrigin('other.lan', env)).toBe('http://other.lan');
    expect(registryOrigin('docker.io', env)).toBe('https://registry-1.docker.io');
  });
});

describe('parseChallenges', () => {
  it('reads bearer parameters, with commas inside quotes', () => {
    expect(parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } },
    ]);
  });

  it('reads several challenges, unquoted values, escapes and odd spacing', () => {
    expect(parseChallenges('Basic realm="a \\"b\\"", Bearer realm=https://x/t?a=b , error="invalid_token",  Newauth')).toEqual([
      { scheme: 'basic', params: { realm: 'a "b"' } },
      { scheme: 'bearer', params: { realm: 'https://x/t?a=b', error: 'invalid_token' } },
      { scheme: 'newauth', params: {} },
    ]);
    expect(parseChallenges('BASIC REALM="Registry"')).toEqual([{ scheme: 'basic', params: { realm: 'Registry' } }]);
    expect(parseChallenges('')).toEqual([]);
  });
});

describe('helpers', () => {
  it('redacts every secret it was given, longest first', () => {
    const secrets = new Secrets();
    secrets.add('hunter2-secret', 'hunter2-secret-and-more', undefined, 'abc');
    expect(secrets.redact('a hunter2-secret-and-more b hunter2-secret c abc')).toBe('a *** b *** c abc');
  });

  it('bounds the tasks running at once', async () => {
    const semaphore = new Semaphore(3);
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        semaphore.run(async () => {
          most = Math.max(most, ++running);
          await new Promise((resolve) => setTimeout(resolve, 2));
          running--;
        }),
      ),
    );
    expect(most).toBe(3);
  });
});
