// The signing room's surface: keys, payloads, attachments and verification of cosign signatures, with no requests.
export { appendSignature, buildAttachment, configDiffIds, parseAttachment, signatureLayer, signatureTag, SIGNATURE_ANNOTATION, SIMPLE_SIGNING, type Attachment } from './attachment';
export { COSIGN_PRIVATE_KEY } from './encrypted-key';
export { generateKeyPair, writeKeyPair, type GeneratedKeyPair } from './generate';
export { readPasswordFile, readPublicKey, readPublicKeys, readSigningKey, type KeySource, type PublicKey, type ReadKeyOptions, type SigningKey } from './keys';
export { buildPayload, MZBUILD_CREATOR, mzbuildPayload, parsePayload, SIGNATURE_TYPE, type SignaturePayload } from './payload';
export { VerifiedCache, type VerifiedEntry } from './verified-cache';
export { identityMatches, signedIdentity, signPayload, verifyPayload, verifySignatures, type SignatureLayer, type Verification } from './verify';
