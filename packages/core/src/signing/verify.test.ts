import { generateKeyPairSync } from 'node:crypto';
import { digestOf } from '../registry/manifests';
import { parseReference } from '../registry/reference';
import { signatureLayer } from './attachment';
import { publicKeyOf, type SigningKey } from './keys';
import { buildPayload } from './payload';
import { identityMatches, signedIdentity, signPayload, verifySignatures, type SignatureLayer } from './verify';

function newKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKey: publicKeyOf(publicKey) };
}

const IMAGE = digestOf(Buffer.from('an image manifest'));
const OTHER = digestOf(Buffer.from('another image manifest'));
const trusted = newKey();
const stranger = newKey();

/** A layer of a signature by `key` of a payload naming `reference` and `digest`. */
function signed(key: SigningKey, reference: string, digest = IMAGE, payload = buildPayload({ dockerReference: reference, manifestDigest: digest })): SignatureLayer {
  return { descriptor: signatureLayer({ digest: digestOf(payload), size: payload.length }, signPayload(payload, key)), payload };
}

const verifyFor = (reference: string, layers: SignatureLayer[], digest = IMAGE) => verifySignatures(layers, { reference: parseReference(reference), digest }, [trusted.publicKey]);

describe('identityMatches: containers/image’s matchRepoDigestOrExact', () => {
  it.each([
    ['ghcr.io/acme/web:mzbuild-a', 'ghcr.io/acme/web:mzbuild-a', true],
    // The fingerprint tag counts: a signed image under another fingerprint's tag is not that build.
    ['ghcr.io/acme/web:mzbuild-b', 'ghcr.io/acme/web:mzbuild-a', false],
    ['ghcr.io/acme/web:mzbuild-a', 'ghcr.io/acme/api:mzbuild-a', false],
    ['ghcr.io/acme/web:mzbuild-a', 'docker.io/acme/web:mzbuild-a', false],
    ['ghcr.io/acme/web:mzbuild-a', 'ghcr.io/acme/web:mzbuild-a@' + IMAGE, false],
    ['ghcr.io/acme/web:latest', 'ghcr.io/acme/web', false],
    // Names are compared normalised, as docker normalises them.
    ['busybox:1', 'docker.io/library/busybox:1', true],
    ['docker.io/library/busybox:1', 'busybox:1', true],
    ['index.docker.io/library/busybox:1', 'busybox:1', true],
    // By digest alone: any tag of the repository, or a digest.
    [`ghcr.io/acme/web@${IMAGE}`, 'ghcr.io/acme/web:mzbuild-a', true],
    [`ghcr.io/acme/web@${IMAGE}`, `ghcr.io/acme/web@${OTHER}`, true],
    [`ghcr.io/acme/web@${IMAGE}`, 'ghcr.io/acme/api:mzbuild-a', false],
    [`ghcr.io/acme/web@${IMAGE}`, 'ghcr.io/acme/web', false],
    ['ghcr.io/acme/web:a', 'not a reference', false],
  ])('%s against a signature naming %s: %s', (reference, signedFor, expected) => {
    expect(identityMatches(parseReference(reference), signedFor)).toBe(expected);
  });

  it('names the identity asked for', () => {
    expect(signedIdentity(parseReference('busybox:1'))).toBe('docker.io/library/busybox:1');
    expect(signedIdentity(parseReference(`ghcr.io/a/b:t@${IMAGE}`))).toBe('ghcr.io/a/b:t');
    expect(signedIdentity(parseReference(`ghcr.io/a/b@${IMAGE}`))).toBe('ghcr.io/a/b');
  });
});

describe('verifySignatures', () => {
  const ref = 'ghcr.io/acme/web:mzbuild-a';

  it('trusts an image when any one layer is a good signature, and names the key', () => {
    const layers = [signed(stranger, ref), signed(trusted, 'ghcr.io/acme/web:other'), signed(trusted, ref)];
    expect(verifyFor(ref, layers)).toEqual({ trusted: true, key: trusted.publicKey.fingerprint, cached: false });
    expect(verifySignatures(layers, { reference: parseReference(ref), digest: IMAGE }, [stranger.publicKey, trusted.publicKey]).trusted).toBe(true);
  });

  it('says why it does not, from the layer that came closest', () => {
    expect(verifyFor(ref, [])).toEqual({ trusted: false, reason: 'it has no signatures' });
    expect(verifyFor(ref, [{ ...signed(trusted, ref), payload: undefined }])).toEqual({ trusted: false, reason: expect.stringMatching(/none of its signatures can be read/) });
    expect(verifyFor(ref, [signed(stranger, ref)])).toEqual({ trusted: false, reason: 'none of its signatures is by a trusted key' });
    expect(verifyFor(ref, [signed(stranger, ref), signed(trusted, ref, OTHER)])).toEqual({ trusted: false, reason: `its signature by a trusted key is for another image, ${OTHER}` });
    expect(verifyFor('ghcr.io/acme/web:mzbuild-b', [signed(trusted, ref)])).toEqual({
      trusted: false,
      reason: 'its signature by a trusted key names "ghcr.io/acme/web:mzbuild-a", not ghcr.io/acme/web:mzbuild-b',
    });
    const notCosign = Buffer.from('{"critical":{},"optional":null}');
    expect(verifyFor(ref, [signed(trusted, ref, IMAGE, notCosign)]).trusted).toBe(false);
    expect(verifyFor(ref, [signed(trusted, ref, IMAGE, notCosign)])).toMatchObject({ reason: expect.stringMatching(/^its signature by a trusted key has a payload that is not a cosign payload: critical has/) });
  });

  it('checks the payload against its layer’s digest and size, and ignores layers of other types', () => {
    const good = signed(trusted, ref);
    const other = signed(trusted, 'ghcr.io/acme/web:mzbuild-x').payload!;
    expect(verifyFor(ref, [{ ...good, payload: other }]).trusted).toBe(false);
    expect(verifyFor(ref, [{ ...good, descriptor: { ...good.descriptor, size: good.descriptor.size + 1 } }]).trusted).toBe(false);
    expect(verifyFor(ref, [{ ...good, descriptor: { ...good.descriptor, mediaType: 'application/vnd.oci.image.layer.v1.tar' } }])).toEqual({ trusted: false, reason: 'it has no signatures' });
  });

  it('takes a signature only in the one base64 text that encodes it', () => {
    const good = signed(trusted, ref);
    const text = good.descriptor.annotations!['dev.cosignproject.cosign/signature']!;
    // A signature whose base64 needs no padding has no unpadded variant: only real variants are tried.
    const variants = [text.replace(/=+$/, ''), ` ${text}`, `${text}\n`, text.slice(0, 40) + '*' + text.slice(40)].filter((v) => v !== text);
    for (const variant of variants) {
      const annotations = { 'dev.cosignproject.cosign/signature': variant };
      expect(verifyFor(ref, [{ ...good, descriptor: { ...good.descriptor, annotations } }]).trusted).toBe(false);
    }
  });
});
