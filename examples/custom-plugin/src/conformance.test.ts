import { conformance } from "livetap/testing";
import definition from "./index.js";

// The lifecycle checks the built-in plugins pass, run on this one with its `example` options.
conformance(definition);
