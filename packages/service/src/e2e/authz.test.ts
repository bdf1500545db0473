import { authzMatrixSuite } from "./authz-suite.js";
import { startTestService } from "../testing/harness.js";

authzMatrixSuite("authorization matrix on SQLite", () => startTestService());
