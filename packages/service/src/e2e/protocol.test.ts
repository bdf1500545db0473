import { protocolSuite } from "./protocol-suite.js";
import { startTestService } from "../testing/harness.js";

protocolSuite("CLI protocol on SQLite", () => startTestService());
