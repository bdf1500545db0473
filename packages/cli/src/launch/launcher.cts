/**
 * The start-up path of bin/pulumi and bin/stackyard. The Automation API starts a CLI process for
 * every workspace call, so start-up is most of what those calls cost. This file is CommonJS so that
 * it can run the CLI bundle (dist/bundle/cli.cjs) from V8's code cache (see bundles.cts). Without a
 * current bundle it falls back to the ES modules.
 */
import { currentBundle, runBundle } from "./bundles.cjs";
import { adoptDeferredCaCerts } from "./deferred-ca.cjs";

adoptDeferredCaCerts();

const bundle = currentBundle("cli.cjs");
if (bundle) runBundle(bundle);
else void import("../main.js");
