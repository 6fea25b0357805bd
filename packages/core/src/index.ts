export { base32 } from './base32';
export * from './cargo';
export * from './config';
export { loadContext, type ContextOptions, type MzbuildContext } from './context';
export { configSalt, FileHasher, startHashWorker, type FileRecord, type FileRecordSource, fullDigest, preImageExtra, selfDigest } from './digest';
export { parseMzfrom, rewriteMzfrom, type MzfromLine } from './dockerfile';
export { isUserError, located, UserError } from './errors';
export { Resolver, type ResolvedImage } from './fingerprint';
export { listVisibleFiles, nearestRepositoryRoot, repositoryRoot } from './git';
export { InputIndex } from './inputs';
export * from './manifest';
export {
  dependencyOrder,
  findImages,
  isImageManifest,
  loadImageGraph,
  loadRepository,
  type Image,
  type ImageGraph,
  type Repository,
} from './repository';
