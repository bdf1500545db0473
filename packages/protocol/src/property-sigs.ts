/** Magic values that mark special property values on the wire and in state. */

export const SIG_KEY = "4dabf18193072939515e22adb298388d";

export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
export const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
export const RESOURCE_REFERENCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
export const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
export const BYTE_STRING_SIG = "803fd3297a5875dc03ca845dda5d2a98";
/** Non-finite floats in state. */
export const FLOAT_SIG = "8ad145fe-0d11-4827-bfd7-1abcbf086f5c";

/** The unknown-value sentinel string. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A secret as displayed to someone who may not see it. */
export const SECRET_MASK = "[secret]";
