import { buildPayload, goJson, mzbuildPayload, parsePayload } from './payload';
import { parseStrictJson } from './strict-json';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const critical = (reference = 'ghcr.io/acme/web:mzbuild-x', digest = DIGEST) =>
  `{"identity":{"docker-reference":"${reference}"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"}`;
const payload = (text: string) => Buffer.from(text);

describe('buildPayload', () => {
  it('writes the keys sorted, no spaces, creator and timestamp in optional, as containers/image marshals it', () => {
    const bytes = buildPayload({ dockerReference: 'ghcr.io/acme/web:mzbuild-x', manifestDigest: DIGEST, creator: 'mzbuild 0.1.0', timestamp: 1796179434 });
    expect(bytes.toString()).toBe(`{"critical":${critical()},"optional":{"creator":"mzbuild 0.1.0","timestamp":1796179434}}`);
  });

  it('writes an empty optional object when there is nothing in it, as containers/image does', () => {
    expect(buildPayload({ dockerReference: 'a.io/b:c', manifestDigest: DIGEST }).toString()).toMatch(/,"optional":\{\}\}$/);
  });

  it('writes mzbuild’s own payload as a function of the image alone: creator mzbuild, no timestamp, read back as strictly', () => {
    const bytes = mzbuildPayload('ghcr.io/acme/web:mzbuild-x', DIGEST);
    expect(bytes.toString()).toBe(`{"critical":${critical()},"optional":{"creator":"mzbuild"}}`);
    expect(mzbuildPayload('ghcr.io/acme/web:mzbuild-x', DIGEST)).toEqual(bytes);
    expect(parsePayload(bytes)).toEqual({ dockerReference: 'ghcr.io/acme/web:mzbuild-x', manifestDigest: DIGEST, creator: 'mzbuild' });
  });

  it('escapes <, > and & as Go does', () => {
    expect(goJson({ creator: 'a<b>&c' })).toBe('{"creator":"a\\u003cb\\u003e\\u0026c"}');
  });

  it('refuses a timestamp that is not whole seconds, and a missing reference or digest', () => {
    expect(() => buildPayload({ dockerReference: 'a.io/b:c', manifestDigest: DIGEST, timestamp: 1.5 })).toThrow(/whole seconds/);
    expect(() => buildPayload({ dockerReference: '', manifestDigest: DIGEST })).toThrow(/reference/);
    expect(() => buildPayload({ dockerReference: 'a.io/b:c', manifestDigest: 'sha256:12' })).toThrow(/digest/);
  });

  it('is read back as it was written', () => {
    const signed = { dockerReference: 'docker.io/library/busybox:1', manifestDigest: DIGEST, creator: 'x', timestamp: 12 };
    expect(parsePayload(buildPayload(signed))).toEqual(signed);
  });
});

describe('parsePayload, as strictly as containers/image', () => {
  it('takes optional null (what cosign writes), whitespace, and ignores unknown keys in optional', () => {
    expect(parsePayload(payload(`{"critical":${critical()},"optional":null}`))).toEqual({ dockerReference: 'ghcr.io/acme/web:mzbuild-x', manifestDigest: DIGEST });
    expect(parsePayload(payload(` { "optional" : {"other": [1, {"x": null}], "timestamp": 1e3} , "critical" : ${critical()} } \n`)).timestamp).toBe(1000);
  });

  it.each([
    ['no optional', `{"critical":${critical()}}`, /has no "optional"/],
    ['a key beside critical and optional', `{"critical":${critical()},"optional":null,"x":1}`, /unexpected key "x"/],
    ['a key more in critical', `{"critical":{"identity":{"docker-reference":"a.io/b:c"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature","x":1},"optional":null}`, /critical has the unexpected key "x"/],
    ['no identity', `{"critical":{"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`, /critical has no "identity"/],
    ['a key more in image', `{"critical":{"identity":{"docker-reference":"a.io/b:c"},"image":{"docker-manifest-digest":"${DIGEST}","y":2},"type":"cosign container image signature"},"optional":null}`, /critical.image has the unexpected key "y"/],
    ['a key more in identity', `{"critical":{"identity":{"docker-reference":"a.io/b:c","z":""},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`, /critical.identity has the unexpected key "z"/],
    ['another type', `{"critical":${critical().replace('cosign container image signature', 'atomic container signature')},"optional":null}`, /type is not/],
    ['a timestamp with a fraction', `{"critical":${critical()},"optional":{"timestamp":1.5}}`, /not an integer/],
    ['a timestamp that is a string', `{"critical":${critical()},"optional":{"timestamp":"1"}}`, /not an integer/],
    ['a creator that is a number', `{"critical":${critical()},"optional":{"creator":1}}`, /creator is not a string/],
    ['optional that is a list', `{"critical":${critical()},"optional":[]}`, /neither an object nor null/],
    ['a digest that is not a string', `{"critical":{"identity":{"docker-reference":"a.io/b:c"},"image":{"docker-manifest-digest":1},"type":"cosign container image signature"},"optional":null}`, /not strings/],
    ['a key twice', `{"critical":${critical()},"critical":${critical('a.io/b:c')},"optional":null}`, /"critical" twice/],
    ['a digest twice', `{"critical":{"identity":{"docker-reference":"a.io/b:c"},"image":{"docker-manifest-digest":"${DIGEST}","docker-manifest-digest":"x"},"type":"cosign container image signature"},"optional":null}`, /twice/],
    ['data after it', `{"critical":${critical()},"optional":null}{}`, /data after/],
    ['not JSON', `{"critical":`, /not JSON/],
  ])('refuses %s', (_, text, message) => {
    expect(() => parsePayload(payload(text))).toThrow(message);
  });
});

describe('parseStrictJson', () => {
  it('reads what JSON.parse reads', () => {
    const text = '{"a":[1,-2.5e3,"\\u00e9\\n",true,false,null,{}],"b":{"c":[]},"__proto__":1}';
    expect(parseStrictJson(text)).toEqual(JSON.parse(text));
    expect(Object.keys(parseStrictJson(text) as object)).toEqual(['a', 'b', '__proto__']);
  });

  it('refuses nesting deeper than any signature has, instead of overflowing the stack', () => {
    expect(() => parseStrictJson('['.repeat(100000))).toThrow(/nests deeper/);
  });
});
