import { defineEngineSuite } from "./helpers/engine-suite.js";

defineEngineSuite("postgres");
