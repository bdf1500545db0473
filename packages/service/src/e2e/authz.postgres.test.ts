import { authzMatrixSuite } from "./authz-suite.js";
import { POSTGRES_SKIP, startPostgresTestService } from "../testing/postgres.js";

authzMatrixSuite("authorization matrix on PostgreSQL", () => startPostgresTestService(), POSTGRES_SKIP);
