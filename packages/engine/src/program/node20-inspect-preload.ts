/** The `--import` entry for Node 20 programs: see node20-inspect-guard.ts. */
import { installInspectGuard } from "./node20-inspect-guard.js";

installInspectGuard();
