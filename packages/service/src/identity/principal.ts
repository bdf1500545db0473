import type { PrincipalKind } from "./permissions.js";

/** Who a request acts as, resolved from its API token. */
export interface Principal {
  kind: PrincipalKind;
  tokenId: string;
  tokenName: string;
  /** Set for personal tokens. */
  userId?: string;
  /** User login, or the org / team name for org and team tokens (audit and `whoami`). */
  login: string;
  displayName: string;
  siteAdmin: boolean;
  /** Set for org and team tokens. */
  orgId?: string;
  orgName?: string;
  teamId?: string;
  teamName?: string;
}
