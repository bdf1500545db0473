export * from "./checkpoint.js";
export * from "./property-sigs.js";
export * from "./history.js";
export * from "./events.js";
export * from "./journal.js";
export * from "./service-api.js";
