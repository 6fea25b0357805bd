/** The Cargo room: the workspace as mzbuild models it, and the closures of binaries. */
export { crateClosure, crateDefining, cratesOfStep } from './closure';
export { diskCargoFiles, loadCargoWorkspace, type CargoFiles, type CargoWorkspace, type Crate } from './workspace';
