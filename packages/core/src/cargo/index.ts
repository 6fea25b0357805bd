export { crateClosure, crateDefining, cratesOfStep } from './closure';
export { diskCargoFiles, loadCargoWorkspace, type CargoFiles, type CargoWorkspace, type Crate } from './workspace';
