import type { AuditService } from "../audit/service.js";
import type { Db } from "../db/db.js";
import type { Principal } from "../identity/principal.js";
import type { IdentityService, OrgAccess } from "../identity/service.js";
import type { SecretsService } from "../secrets/service.js";
import type { StackService } from "../stacks/service.js";
import type { UpdateLifecycle } from "../updates/lifecycle.js";
import type { UpdateRow } from "../updates/store.js";

/** The domain services routes call. */
export interface Services {
  db: Db;
  identity: IdentityService;
  stacks: StackService;
  updates: UpdateLifecycle;
  secrets: SecretsService;
  audit: AuditService;
  version: string;
}

export type AuthMode = "none" | "api" | "lease" | "optional";

/** What an audited route records: the org it concerns and a sentence about what happened. */
export interface AuditSpec {
  event: string;
  requireOrgAdmin?: boolean;
  requireStackAdmin?: boolean;
}

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
    /** Set by audited handlers: where the entry goes and what it says. */
    auditEntry?: { orgId: string; description: string };
    /** The `:org` of the path, checked for membership before the body is validated. */
    orgAccess?: OrgAccess;
    /** When a `serverTiming` route's request arrived (before its body was read). */
    receivedAt?: bigint;
    /** The update a lease-token route acts on, checked before its body is read. */
    update?: UpdateRow;
  }
  interface FastifyInstance {
    /** Every route registered: method, URL pattern and config (for the authorization matrix). */
    routeTable: { method: string; url: string; config: FastifyContextConfig }[];
  }
  interface FastifyContextConfig {
    auth?: AuthMode;
    /** Mutations name their audit event; the few that do not say why in `auditExempt`. */
    audit?: AuditSpec;
    auditExempt?: string;
    /** Keep the (decompressed) body as a Buffer instead of parsing JSON. */
    rawBody?: boolean;
    /** Report the time spent in the service (`Server-Timing: app;dur=ms`) — for the bench. */
    serverTiming?: boolean;
    /** Lease routes that must answer idempotently after the update finished (complete). */
    leaseAllowFinished?: boolean;
  }
}
