/** The Cargo workspace: its model, how it is read, and the crates an image's binaries are built from. */
export { loadCargoCached } from './cached';
export { crateClosure, crateDefining, cratesOfStep } from './closure';
export { loadCargoWorkspace } from './load';
export { diskCargoFiles, type CargoFiles, type CargoWorkspace, type Crate } from './workspace';
