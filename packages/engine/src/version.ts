/** The Pulumi CLI version whose command surface and protocols Stackyard implements. */
export const PULUMI_VERSION = "3.270.0";

/** Stackyard's own version. */
export const STACKYARD_VERSION = "0.1.0";
