export { crateClosure, crateDefining, cratesOfStep } from './closure';
export { loadCargoWorkspace, type CargoWorkspace, type Crate } from './workspace';
