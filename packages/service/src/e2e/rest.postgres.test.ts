import { restSuite } from "./rest-suite.js";
import { POSTGRES_SKIP, startPostgresTestService } from "../testing/postgres.js";

restSuite("REST API on PostgreSQL", (opts) => startPostgresTestService(opts), POSTGRES_SKIP);
