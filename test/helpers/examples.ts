// The graph the scripts in examples/ declare, shared by the tests that run them.
import { join } from "node:path";
import { ROOT } from "./cli.js";

export const EXAMPLES = join(ROOT, "examples");

/** Each example unit and its dependencies; the tests check the agent saw exactly this graph. */
export const EXAMPLE_GRAPH: Record<string, string[]> = {
  "git-clone": [],
  "env-setup": [],
  ide: ["env-setup", "git-clone"],
  "deps-install": ["git-clone"],
  "lint-config": ["git-clone"],
  "app-build": ["deps-install", "lint-config"],
  dotfiles: ["env-setup"],
  "db-migrate": ["env-setup"],
  "apt-tools": [],
  "apt-editors": [],
  "file-index": ["git-clone"],
  "language-server": ["file-index"],
  "web-server": ["app-build"],
  "smoke-test": ["web-server"],
};
