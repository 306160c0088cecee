// The workflows the worker registers (workflowsPath points here) and the public contract.
export { fleetMigration } from './fleet-migration';
export { backendServiceMigration, serviceProgressQuery } from './backend-service';
export type { BackendServiceInput } from './backend-service';
export type { ContinuedMigration } from './devices';
export * from './api';
