#!/usr/bin/env node
// The installed `unitsync` command: the bundled CLI.
require("../dist/unitsync.cjs");
