/**
 * Schema of deployments, their queue, steps and logs, deployment settings, schedules and agent
 * pools. Numbered from 401 so they never collide with the core's migrations; times are unix ms.
 */
export const DEPLOYMENT_MIGRATIONS: readonly { id: number; name: string; sql: string }[] = [
  {
    id: 401,
    name: "deployments",
    sql: `
CREATE TABLE agent_pools (
  id {text} PRIMARY KEY, org_id {text} NOT NULL REFERENCES orgs(id) ON DELETE CASCADE, name {text} NOT NULL,
  description {text} NOT NULL, token_hash {text} NOT NULL UNIQUE, created_at {bigint} NOT NULL, UNIQUE (org_id, name));
CREATE TABLE agents (
  pool_key {text} NOT NULL, agent_id {text} NOT NULL, hostname {text} NOT NULL, ip {text} NOT NULL, pid {text} NOT NULL,
  version {text} NOT NULL, last_seen {bigint} NOT NULL, last_deployment {bigint} NOT NULL DEFAULT 0, PRIMARY KEY (pool_key, agent_id));
CREATE TABLE deployments (
  seq {serial}, id {text} NOT NULL UNIQUE, stack_id {bigint} NOT NULL REFERENCES stacks(id) ON DELETE CASCADE,
  org_id {text} NOT NULL, version {bigint} NOT NULL, operation {text} NOT NULL, status {text} NOT NULL, pool_key {text} NOT NULL,
  request {text} NOT NULL, requester {text} NOT NULL, initiator {text} NOT NULL, schedule_id {text},
  created_at {bigint} NOT NULL, modified_at {bigint} NOT NULL, started_at {bigint} NOT NULL DEFAULT 0, finished_at {bigint} NOT NULL DEFAULT 0,
  runner_id {text}, job_token_hash {text}, lease_expires {bigint} NOT NULL DEFAULT 0, cancel_requested INTEGER NOT NULL DEFAULT 0,
  run_token_id {text}, update_id {text}, update_version {bigint}, message {text} NOT NULL DEFAULT '', drift_detected INTEGER,
  UNIQUE (stack_id, version));
CREATE INDEX deployments_queue ON deployments (status, pool_key, seq);
CREATE TABLE deployment_steps (
  deployment_id {text} NOT NULL REFERENCES deployments(id) ON DELETE CASCADE, step INTEGER NOT NULL, name {text} NOT NULL,
  kind {text} NOT NULL, status {text} NOT NULL, started {bigint} NOT NULL DEFAULT 0, last_updated {bigint} NOT NULL DEFAULT 0,
  line_count {bigint} NOT NULL DEFAULT 0, PRIMARY KEY (deployment_id, step));
CREATE TABLE deployment_logs (
  deployment_id {text} NOT NULL REFERENCES deployments(id) ON DELETE CASCADE, step INTEGER NOT NULL, line_no {bigint} NOT NULL,
  ts {bigint} NOT NULL, line {text} NOT NULL, PRIMARY KEY (deployment_id, step, line_no));
CREATE TABLE deployment_settings (stack_id {bigint} PRIMARY KEY REFERENCES stacks(id) ON DELETE CASCADE, settings {text} NOT NULL);
CREATE TABLE deployment_schedules (
  id {text} PRIMARY KEY, org_id {text} NOT NULL, stack_id {bigint} NOT NULL REFERENCES stacks(id) ON DELETE CASCADE,
  cron {text}, once_at {bigint}, next_execution {bigint}, paused INTEGER NOT NULL DEFAULT 0, request {text} NOT NULL,
  requester {text} NOT NULL, created_at {bigint} NOT NULL, modified_at {bigint} NOT NULL, last_executed {bigint});
CREATE INDEX deployment_schedules_due ON deployment_schedules (next_execution);
CREATE TABLE deployment_schedule_history (
  id {text} PRIMARY KEY, schedule_id {text} NOT NULL REFERENCES deployment_schedules(id) ON DELETE CASCADE,
  executed {bigint} NOT NULL, version {bigint}, deployment_id {text}, result {text} NOT NULL);
CREATE INDEX deployment_schedule_history_schedule ON deployment_schedule_history (schedule_id, executed);
`,
  },
];
