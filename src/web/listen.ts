// `web --listen HOST:PORT`: parsing the address and telling loopback from everything else.
import { isIP } from "node:net";

export const DEFAULT_LISTEN = "127.0.0.1:9460";

export interface ListenAddress {
  host: string;
  port: number;
  loopback: boolean;
}

/** "127.0.0.1:9460", "[::1]:9460", "localhost:0"; undefined with the reason when malformed. */
export function parseListen(text: string): ListenAddress | string {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!match) return "expected HOST:PORT, such as 127.0.0.1:9460 or [::1]:9460";
  const host = (match[1] ?? match[2])!;
  const port = Number(match[3]);
  if (port > 65535) return `port ${port} is out of range (0-65535)`;
  if (match[1] !== undefined && isIP(host) !== 6) return `${host} is not an IPv6 address`;
  if (host !== "localhost" && isIP(host) === 0) return `${host} is not an IP address or localhost`;
  return { host, port, loopback: isLoopback(host) };
}

export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return /^::ffff:127\./i.test(host);
}
