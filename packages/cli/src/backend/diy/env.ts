/** The PULUMI_DIY_BACKEND_* switches we honour, read once when the backend opens. */
export interface DiyEnv {
  gzip: boolean;
  zstd: boolean;
  disableCheckpointBackups: boolean;
  legacyLayout: boolean;
  retainCheckpoints: boolean;
}

/** Same truthiness as Pulumi's env.GetBool: 1/true/yes, any case. */
export function truthy(value: string | undefined): boolean {
  if (value === undefined) return false;
  return ["1", "true", "yes", "on"].includes(value.trim().toLowerCase());
}

export function readDiyEnv(env: NodeJS.ProcessEnv = process.env): DiyEnv {
  const result: DiyEnv = {
    gzip: truthy(env["PULUMI_DIY_BACKEND_GZIP"] ?? env["PULUMI_SELF_MANAGED_STATE_GZIP"]),
    zstd: truthy(env["PULUMI_DIY_BACKEND_ZSTD"]),
    disableCheckpointBackups: truthy(
      env["PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS"] ?? env["PULUMI_DISABLE_CHECKPOINT_BACKUPS"],
    ),
    legacyLayout: truthy(env["PULUMI_DIY_BACKEND_LEGACY_LAYOUT"] ?? env["PULUMI_SELF_MANAGED_STATE_LEGACY_LAYOUT"]),
    retainCheckpoints: truthy(env["PULUMI_DIY_BACKEND_RETAIN_CHECKPOINTS"] ?? env["PULUMI_RETAIN_CHECKPOINTS"]),
  };
  if (result.gzip && result.zstd) throw new Error("DIY_BACKEND_GZIP and DIY_BACKEND_ZSTD cannot both be enabled");
  // Node 20 has no zstd codec; refuse loudly rather than write a format we cannot read back.
  if (result.zstd) throw new Error("PULUMI_DIY_BACKEND_ZSTD is not supported by Stackyard; use PULUMI_DIY_BACKEND_GZIP");
  return result;
}
