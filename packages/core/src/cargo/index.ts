export { crateClosure, crateDefining } from './closure';
export { loadCargoWorkspace, type CargoWorkspace, type Crate } from './workspace';
