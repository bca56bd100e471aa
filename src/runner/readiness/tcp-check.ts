// tcp:[HOST:]PORT — ready once a connection to the port is accepted (then closed at once).
import { connect } from "node:net";
import { type ReadinessCheck, networkError } from "./check.js";
import { poll } from "./poll.js";

/** A try that neither connects nor fails in this long counts as failed ("connection timed out"). */
const CONNECT_TIMEOUT_MS = 2_000;

function tryConnect(host: string, port: number, signal: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, autoSelectFamily: true });
    const finish = (error?: string) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve(error);
    };
    const onAbort = () => finish("cancelled");
    const timer = setTimeout(() => finish("connection timed out"), CONNECT_TIMEOUT_MS);
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => finish());
    socket.once("error", (error) => finish(networkError(error)));
  });
}

export function tcpCheck(spec: string, host: string, port: number): ReadinessCheck {
  // A refused loopback connect costs microseconds: the quick start catches a port soon after it opens.
  return { spec, wait: (signal, onError) => poll(signal, (s) => tryConnect(host, port, s), onError, { quick: true }) };
}
