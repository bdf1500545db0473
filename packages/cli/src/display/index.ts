export { createDisplay, type Display, type DisplayOptions, type DisplayKind } from "./display.js";
export { openEventLog, type EventLog, type EventLogOptions } from "./event-log.js";
export { createStamper, cleanEvent, type Stamper } from "./convert.js";
export { type ColorMode, colorize, resolveColorMode, stripAnsi, stripDirectives } from "./colors.js";
export { isInternalStep } from "./steps.js";
