// Defaults shared by verb definitions (main.ts) and their implementations, kept free of imports
// so that wiring the CLI loads nothing heavy.
export const DEFAULT_TIMEOUT = "5m";
