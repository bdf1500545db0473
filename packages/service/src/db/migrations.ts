import type { Db } from "./db.js";
import { translateDdl } from "./db.js";
import { DEPLOYMENT_MIGRATIONS } from "../deployments/migrations.js";

/** Ordered schema migrations; a migration, once released, never changes. */
export const MIGRATIONS: readonly { id: number; name: string; sql: string }[] = [
  {
    id: 1,
    name: "initial",
    sql: `
CREATE TABLE users (
  id {text} PRIMARY KEY, login {text} NOT NULL UNIQUE, name {text} NOT NULL, email {text} NOT NULL DEFAULT '',
  avatar_url {text} NOT NULL DEFAULT '', site_admin INTEGER NOT NULL DEFAULT 0, created_at {bigint} NOT NULL);
CREATE TABLE orgs (id {text} PRIMARY KEY, name {text} NOT NULL UNIQUE, display_name {text} NOT NULL, created_at {bigint} NOT NULL);
CREATE TABLE org_members (
  org_id {text} NOT NULL REFERENCES orgs(id) ON DELETE CASCADE, user_id {text} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role {text} NOT NULL, created_at {bigint} NOT NULL, PRIMARY KEY (org_id, user_id));
CREATE TABLE teams (
  id {text} PRIMARY KEY, org_id {text} NOT NULL REFERENCES orgs(id) ON DELETE CASCADE, name {text} NOT NULL,
  display_name {text} NOT NULL, description {text} NOT NULL, kind {text} NOT NULL, created_at {bigint} NOT NULL,
  UNIQUE (org_id, name));
CREATE TABLE team_members (
  team_id {text} NOT NULL REFERENCES teams(id) ON DELETE CASCADE, user_id {text} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role {text} NOT NULL, PRIMARY KEY (team_id, user_id));
CREATE TABLE tokens (
  id {text} PRIMARY KEY, hash {text} NOT NULL UNIQUE, kind {text} NOT NULL,
  user_id {text} REFERENCES users(id) ON DELETE CASCADE, org_id {text} REFERENCES orgs(id) ON DELETE CASCADE,
  team_id {text} REFERENCES teams(id) ON DELETE CASCADE, name {text} NOT NULL, description {text} NOT NULL,
  created_at {bigint} NOT NULL, expires {bigint} NOT NULL DEFAULT 0, last_used {bigint} NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX tokens_org_name ON tokens (org_id, name) WHERE kind <> 'personal';
CREATE TABLE stacks (
  id {serial}, org_id {text} NOT NULL REFERENCES orgs(id), project {text} NOT NULL, name {text} NOT NULL,
  version {bigint} NOT NULL DEFAULT 0, active_update {text} NOT NULL DEFAULT '',
  lock_update {text}, resource_count {bigint} NOT NULL DEFAULT 0, last_update {bigint}, created_by {text},
  created_at {bigint} NOT NULL, UNIQUE (org_id, project, name));
CREATE INDEX stacks_org ON stacks (org_id, id);
CREATE TABLE stack_tags (
  stack_id {bigint} NOT NULL REFERENCES stacks(id) ON DELETE CASCADE, name {text} NOT NULL, value {text} NOT NULL,
  PRIMARY KEY (stack_id, name));
CREATE INDEX stack_tags_name ON stack_tags (name, value);
CREATE TABLE stack_aliases (
  org_id {text} NOT NULL, project {text} NOT NULL, name {text} NOT NULL,
  stack_id {bigint} NOT NULL REFERENCES stacks(id) ON DELETE CASCADE, PRIMARY KEY (org_id, project, name));
CREATE TABLE team_stack_permissions (
  team_id {text} NOT NULL REFERENCES teams(id) ON DELETE CASCADE, stack_id {bigint} NOT NULL REFERENCES stacks(id) ON DELETE CASCADE,
  permission INTEGER NOT NULL, PRIMARY KEY (team_id, stack_id));
CREATE TABLE stack_versions (
  stack_id {bigint} NOT NULL REFERENCES stacks(id) ON DELETE CASCADE, version {bigint} NOT NULL,
  data {blob} NOT NULL, resource_count {bigint} NOT NULL, update_id {text}, created_at {bigint} NOT NULL,
  PRIMARY KEY (stack_id, version));
CREATE TABLE updates (
  id {text} PRIMARY KEY, stack_id {bigint} NOT NULL REFERENCES stacks(id) ON DELETE CASCADE, kind {text} NOT NULL,
  dry_run INTEGER NOT NULL, status {text} NOT NULL, version {bigint} NOT NULL DEFAULT 0,
  lease_hash {text}, lease_expires {bigint} NOT NULL DEFAULT 0, journal_version INTEGER NOT NULL DEFAULT 0,
  base_version {bigint} NOT NULL DEFAULT 0, created_at {bigint} NOT NULL, start_time {bigint} NOT NULL DEFAULT 0,
  end_time {bigint} NOT NULL DEFAULT 0, result {text} NOT NULL DEFAULT 'not-started', message {text} NOT NULL DEFAULT '',
  environment {text} NOT NULL DEFAULT '{}', config {text} NOT NULL DEFAULT '{}', resource_changes {text},
  requested_by {text}, program {text} NOT NULL DEFAULT '{}');
CREATE INDEX updates_stack ON updates (stack_id, created_at);
CREATE TABLE checkpoints (
  update_id {text} PRIMARY KEY REFERENCES updates(id) ON DELETE CASCADE, write_no {bigint} NOT NULL,
  sequence_number {bigint} NOT NULL, hash {text} NOT NULL, data {blob} NOT NULL, resource_count {bigint} NOT NULL);
CREATE TABLE journal_entries (
  update_id {text} NOT NULL REFERENCES updates(id) ON DELETE CASCADE, sequence_id {bigint} NOT NULL,
  entry {text} NOT NULL, PRIMARY KEY (update_id, sequence_id));
CREATE TABLE update_events (
  update_id {text} NOT NULL REFERENCES updates(id) ON DELETE CASCADE, sequence {bigint} NOT NULL,
  event {text} NOT NULL, PRIMARY KEY (update_id, sequence));
CREATE TABLE stack_keys (stack_id {bigint} PRIMARY KEY REFERENCES stacks(id) ON DELETE CASCADE, wrapped_key {blob} NOT NULL);
CREATE TABLE audit_log (
  id {serial}, org_id {text} NOT NULL, timestamp {bigint} NOT NULL, source_ip {text} NOT NULL, event {text} NOT NULL,
  description {text} NOT NULL, user_login {text} NOT NULL, user_name {text} NOT NULL, token_id {text}, token_name {text},
  require_org_admin INTEGER NOT NULL DEFAULT 0, require_stack_admin INTEGER NOT NULL DEFAULT 0,
  authentication_failure INTEGER NOT NULL DEFAULT 0);
CREATE INDEX audit_log_org ON audit_log (org_id, id);
CREATE TABLE settings (key {text} PRIMARY KEY, value {text} NOT NULL);
`,
  },
  ...DEPLOYMENT_MIGRATIONS,
];

/** Applies pending migrations; on PostgreSQL an advisory lock keeps concurrent starters in line. */
export async function migrate(db: Db): Promise<number[]> {
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    const done = await db.tx(async (q) => {
      // Several processes may start at once on one PostgreSQL database; the lock orders them.
      if (q.dialect === "postgres") await q.run("SELECT pg_advisory_xact_lock(7413)");
      await q.run(translateDdl("CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name {text} NOT NULL, applied_at {bigint} NOT NULL)", q.dialect));
      if (await q.one("SELECT id FROM schema_migrations WHERE id = ?", [m.id])) return false;
      for (const stmt of translateDdl(m.sql, q.dialect).split(";").map((s) => s.trim()).filter(Boolean)) {
        await q.run(stmt);
      }
      await q.run("INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)", [m.id, m.name, Math.floor(Date.now() / 1000)]);
      return true;
    });
    if (done) applied.push(m.id);
  }
  return applied;
}
