/** A service in its own process, for crash tests: prints its URL as the first stdout line. Args: dataDir token [database]. */
import { createService } from "../index.js";

const [dataDir, token, database] = process.argv.slice(2);
const svc = await createService({ dataDir, database: database || undefined, port: 0, host: "127.0.0.1", adminToken: token, log: () => undefined });
process.stdout.write(`${svc.url}\n`);
