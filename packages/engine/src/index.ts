export * from "./api.js";
export { runOperation } from "./deployment/run-operation.js";
export { canPrelaunch, Prelaunch, type PrelaunchRequest } from "./deployment/prelaunch.js";
export { PULUMI_VERSION, STACKYARD_VERSION } from "./version.js";
