// "Did you mean …?" for the command line: the rule lives in core, shared with the plan check.
export { closest } from "../core/suggest.js";
