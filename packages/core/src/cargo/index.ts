/** The Cargo workspace: its model in each fingerprint mode, how it is read, and the crates an image's binaries are built from. */
export { loadCargoCached } from './cached';
export { crateClosure, crateDefining, cratesOfStep } from './closure';
export { loadCargoModels, loadCargoWorkspace } from './load';
export { cargoView, diskCargoFiles, type CargoFiles, type CargoModels, type CargoWorkspace, type Crate } from './workspace';
