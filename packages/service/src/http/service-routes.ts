import type { CapabilitiesResponse } from "@stackyard/protocol";
import type { FastifyInstance } from "fastify";
import type { Services } from "./context.js";

/** Serialized states at or above this size go as deltas. */
export const CHECKPOINT_CUTOFF_BYTES = 1024 * 1024;

export function capabilities(): CapabilitiesResponse {
  return {
    capabilities: [
      { capability: "batch-encrypt" },
      { capability: "delta-checkpoint-uploads-v2", version: 2, configuration: { checkpointCutoffSizeBytes: CHECKPOINT_CUTOFF_BYTES } },
      { capability: "deployment-schema-version", version: 1, configuration: { version: 4 } },
      // The CLI negotiates journaling at start (`journalVersion`); this entry tells other clients
      // the service replays journals. The CLI skips capabilities it does not know.
      { capability: "journal-entries", version: 1, configuration: { maxJournalVersion: 1 } },
    ],
  };
}

export function registerServiceRoutes(app: FastifyInstance, _s: Services): void {
  const body = capabilities();
  app.get("/api/capabilities", { config: { auth: "optional" } }, async () => body);

  app.get("/api/registry/packages", async () => ({ packages: [] }));
  app.get("/api/registry/templates", async () => ({ templates: [] }));
}
