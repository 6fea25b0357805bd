// The registry client's public surface. Loading it does not load undici: the first client does.
export { RegistryClient, type Existence, type RegistryClientOptions, type SignOptions, type SignOutcome, type StoredSignatures } from './client';
export { lookupCredentials, type CredentialLookup, type Credentials } from './credentials';
export { INSECURE_REGISTRIES_ENV, isInsecureRegistry } from './endpoint';
// For callers telling failures apart by status and error code.
export { OperationError, RegistryError, RegistryNetworkError, type RequestLine } from './errors';
export { MANIFEST_ACCEPT, MANIFEST_MEDIA_TYPES } from './media-types';
export { apiHost, formatReference, parseReference, type ImageReference } from './reference';
export type { IndexSource } from './index-builder';
export {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  OCI_INDEX,
  OCI_MANIFEST,
  digestOf,
  // Named apart from the mzbuild.yml Manifest of ../manifest.
  parseManifest as parseOciManifest,
  type Descriptor,
  type Manifest as OciManifest,
  type ManifestContent,
  type Platform,
} from './manifests';
