// Defaults shared by verb definitions (main.ts) and their implementations, kept free of imports
// so that wiring the CLI loads nothing heavy.
export const DEFAULT_TIMEOUT = "5m";
/** How long a client keeps trying to reach an agent that went away (a crash, a restart). */
export const DEFAULT_RECONNECT = "30s";
