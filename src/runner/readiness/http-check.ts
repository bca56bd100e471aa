// http://URL, https://URL — ready once a GET answers 2xx. Certificates are not verified: the check
// asks whether the service answers (a dev server's certificate is often its own), not whether to trust it.
import { type ReadinessCheck, networkError } from "./check.js";
import { poll } from "./poll.js";

/** A try that gets no answer in this long counts as failed. */
const REQUEST_TIMEOUT_MS = 5_000;

/** node:http and node:https load when a check first runs: every `run` and `lock` would pay for them. */
const client = (url: URL) => (url.protocol === "https:" ? import("node:https") : import("node:http"));

async function tryGet(url: URL, signal: AbortSignal): Promise<string | undefined> {
  const { get } = await client(url);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(error);
    };
    const request = get(url, { agent: false, signal, rejectUnauthorized: false, headers: { "user-agent": "unitsync-readiness" } }, (response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      finish(status >= 200 && status < 300 ? undefined : `HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ""}`);
    });
    const timer = setTimeout(() => finish(`no answer in ${REQUEST_TIMEOUT_MS / 1_000}s`), REQUEST_TIMEOUT_MS);
    request.once("error", (error) => finish(signal.aborted ? "cancelled" : networkError(error)));
  });
}

export function httpCheck(spec: string, url: URL): ReadinessCheck {
  return { spec, wait: (signal, onError) => poll(signal, (s) => tryGet(url, s), onError) };
}
