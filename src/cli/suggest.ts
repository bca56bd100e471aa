// "Did you mean …?" for the verbs: the matcher lives with the wait that uses it (src/runner).
export { closest } from "../runner/suggest.js";
