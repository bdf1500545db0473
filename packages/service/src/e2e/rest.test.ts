import { restSuite } from "./rest-suite.js";
import { startTestService } from "../testing/harness.js";

restSuite("REST API on SQLite", (opts) => startTestService(opts));
