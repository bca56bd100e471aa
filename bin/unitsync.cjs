#!/usr/bin/env node
// The installed `unitsync` command: the bundled CLI, started through a V8 code cache.
require("../dist/launcher.cjs").launch(require("node:path").join(__dirname, "../dist/unitsync.cjs"));
