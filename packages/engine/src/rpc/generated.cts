/**
 * The generated message modules, required from CommonJS. They are CommonJS themselves, and a plain
 * `require` lets the CLI's engine bundle (packages/cli/scripts/bundle.mjs) carry them, so a command
 * that runs the engine compiles none of their 1.5 MB of JavaScript at start-up.
 */
import resourcePb = require("@pulumi/pulumi/proto/resource_pb.js");
import enginePb = require("@pulumi/pulumi/proto/engine_pb.js");
import providerPb = require("@pulumi/pulumi/proto/provider_pb.js");
import languagePb = require("@pulumi/pulumi/proto/language_pb.js");
import pluginPb = require("@pulumi/pulumi/proto/plugin_pb.js");
import aliasPb = require("@pulumi/pulumi/proto/alias_pb.js");
import errorsPb = require("@pulumi/pulumi/proto/errors_pb.js");
import statusPb = require("@pulumi/pulumi/proto/status_pb.js");
import structPb = require("google-protobuf/google/protobuf/struct_pb.js");
import emptyPb = require("google-protobuf/google/protobuf/empty_pb.js");
import anyPb = require("google-protobuf/google/protobuf/any_pb.js");

export { resourcePb, enginePb, providerPb, languagePb, pluginPb, aliasPb, errorsPb, statusPb, structPb, emptyPb, anyPb };
