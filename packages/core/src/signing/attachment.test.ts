import { OCI_MANIFEST } from '../registry/manifests';
import { appendSignature, buildAttachment, configDiffIds, parseAttachment, signatureLayer, signatureTag } from './attachment';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const layerA = signatureLayer({ digest: digest('a'), size: 300 }, 'MEUCIQ==');
const layerB = signatureLayer({ digest: digest('b'), size: 301 }, 'MEYCIQ==');

describe('signatureTag', () => {
  it('is sha256-<hex>.sig of the manifest digest', () => {
    expect(signatureTag(digest('c'))).toBe(`sha256-${'c'.repeat(64)}.sig`);
    expect(() => signatureTag(`sha512:${'c'.repeat(128)}`)).toThrow(/sha256 digests/);
    expect(() => signatureTag('latest')).toThrow(/sha256 digests/);
  });
});

describe('buildAttachment', () => {
  it('writes Go json.Marshal’s field order: the manifest, its layers with their annotation, the config', () => {
    const { manifest, config } = buildAttachment([layerA]);
    expect(config.toString()).toBe(`{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":["${digest('a')}"]}}`);
    expect(manifest.toString()).toMatch(
      new RegExp(
        `^\\{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1\\+json","config":\\{"mediaType":"application/vnd.oci.image.config.v1\\+json","digest":"sha256:[a-f0-9]{64}","size":${config.length}\\},` +
          `"layers":\\[\\{"mediaType":"application/vnd.dev.cosign.simplesigning.v1\\+json","digest":"${digest('a')}","size":300,"annotations":\\{"dev.cosignproject.cosign/signature":"MEUCIQ=="\\}\\}\\]\\}$`,
      ),
    );
  });

  it('writes a layer’s other fields in the Descriptor’s order, annotations sorted as Go writes maps', () => {
    const layer = { mediaType: 'x', digest: digest('d'), size: 1, urls: ['https://u'], annotations: { z: '1', a: '2' } };
    expect(buildAttachment([layer]).manifest.toString()).toContain(`{"mediaType":"x","digest":"${digest('d')}","size":1,"urls":["https://u"],"annotations":{"a":"2","z":"1"}}`);
  });
});

describe('appendSignature', () => {
  it('makes an attachment of one layer when there is none', () => {
    expect(appendSignature(undefined, layerA)).toEqual(buildAttachment([layerA]));
  });

  it('appends the layer and its diff_id after those there', () => {
    const next = appendSignature({ layers: [layerA], diffIds: [digest('a')] }, layerB)!;
    expect(parseAttachment({ mediaType: OCI_MANIFEST, bytes: next.manifest }).layers).toEqual([layerA, layerB]);
    expect(configDiffIds(next.config)).toEqual([digest('a'), digest('b')]);
  });

  it('keeps the diff_ids of the config there, and takes the layers’ digests when it had none', () => {
    expect(configDiffIds(appendSignature({ layers: [layerA], diffIds: [digest('e')] }, layerB)!.config)).toEqual([digest('e'), digest('b')]);
    expect(configDiffIds(appendSignature({ layers: [layerA], diffIds: undefined }, layerB)!.config)).toEqual([digest('a'), digest('b')]);
  });

  it('writes nothing when an identical layer is there: the same media type, digest, size and annotations', () => {
    expect(appendSignature({ layers: [layerA, layerB], diffIds: undefined }, { ...layerB, annotations: { ...layerB.annotations } })).toBeUndefined();
    const resigned = signatureLayer({ digest: digest('b'), size: 301 }, 'MEQCIA==');
    expect(appendSignature({ layers: [layerA, layerB], diffIds: undefined }, resigned)).toBeDefined();
  });
});

describe('parseAttachment and configDiffIds', () => {
  it('refuses an attachment that is not an OCI image manifest, as containers/image does', () => {
    const docker = { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', bytes: buildAttachment([layerA]).manifest };
    expect(() => parseAttachment(docker)).toThrow(/not an OCI image manifest/);
    expect(() => parseAttachment({ mediaType: OCI_MANIFEST, bytes: Buffer.from('{"layers":[]}') })).toThrow(/config is not a descriptor/);
  });

  it('gives no diff_ids for a config without them', () => {
    expect(configDiffIds(Buffer.from('{}'))).toBeUndefined();
    expect(configDiffIds(Buffer.from('{"rootfs":{"diff_ids":["x"]}}'))).toBeUndefined();
    expect(configDiffIds(Buffer.from('nope'))).toBeUndefined();
  });
});
