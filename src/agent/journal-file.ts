// The journal's file format: length-prefixed, checksummed records (u32 LE payload length, u32 LE
// CRC-32 of the payload, the payload as UTF-8 JSON). Reading stops at the first record that is
// cut short or fails its checksum: a torn tail from a crash mid-write, which is then cut off.
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, renameSync, writeSync } from "node:fs";
import { crc32 } from "node:zlib";

export class JournalFileError extends Error {}

const HEADER_BYTES = 8;
/** A record larger than this is taken for garbage (a torn length). */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export function encodeRecord(record: object): Buffer {
  const json = JSON.stringify(record);
  return encodeRecords([json], recordBytes(json));
}

/** The bytes a record whose payload is `json` takes on file. */
export const recordBytes = (json: string) => HEADER_BYTES + Buffer.byteLength(json);

/** Records of these JSON payloads, `bytes` (the sum of their recordBytes) long, in one buffer. */
export function encodeRecords(jsons: readonly string[], bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const json of jsons) {
    const length = out.write(json, at + HEADER_BYTES, "utf8");
    out.writeUInt32LE(length, at);
    out.writeUInt32LE(crc32(out.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length)), at + 4);
    at += HEADER_BYTES + length;
  }
  return out;
}

export interface Decoded {
  records: Record<string, unknown>[];
  /** Bytes of whole, valid records from the start. */
  validBytes: number;
  /** Bytes after them: a torn or corrupt tail. */
  droppedBytes: number;
}

export function decodeRecords(bytes: Buffer): Decoded {
  const records: Record<string, unknown>[] = [];
  let at = 0;
  while (at + HEADER_BYTES <= bytes.length) {
    const length = bytes.readUInt32LE(at);
    if (length > MAX_RECORD_BYTES || at + HEADER_BYTES + length > bytes.length) break;
    const payload = bytes.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length);
    if (crc32(payload) !== bytes.readUInt32LE(at + 4)) break;
    let record: unknown;
    try {
      record = JSON.parse(payload.toString("utf8"));
    } catch {
      break;
    }
    if (typeof record !== "object" || record === null || Array.isArray(record)) break;
    records.push(record as Record<string, unknown>);
    at += HEADER_BYTES + length;
  }
  return { records, validBytes: at, droppedBytes: bytes.length - at };
}

/**
 * Opens (or creates, 0600) the journal at `path` for reading and appending. Never follows a
 * symbolic link, and refuses a file that is not a regular file of this user's or that others may
 * read or write: the journal holds the whole state and may sit in a shared directory like /tmp.
 */
export function openJournalFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new JournalFileError(code === "ELOOP" ? `${path} is a symbolic link; unitsync never follows it` : (error as Error).message);
  }
  const stat = fstatSync(fd);
  const problem = !stat.isFile()
    ? "is not a regular file"
    : process.getuid && stat.uid !== process.getuid()
      ? `belongs to uid ${stat.uid}, not to this user`
      : (stat.mode & 0o077) !== 0
        ? `is readable or writable by others (mode ${(stat.mode & 0o777).toString(8)})`
        : undefined;
  if (problem) {
    closeSync(fd);
    throw new JournalFileError(`${path} ${problem}; remove it or choose another --journal`);
  }
  return fd;
}

export function readAll(fd: number): Buffer {
  const size = fstatSync(fd).size;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  while (at < size) {
    const n = readSync(fd, out, at, size - at, at);
    if (n === 0) break;
    at += n;
  }
  return out.subarray(0, at);
}

/** Cuts the file to `length` bytes (dropping a torn tail) so appends continue after valid records. */
export function truncate(fd: number, length: number): void {
  ftruncateSync(fd, length);
}

/** Appends bytes at the end of the file (the fd is positioned by the caller's writes only). */
export function append(fd: number, bytes: Buffer, position: number): void {
  let at = 0;
  while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at, position + at);
}

/** Writes `records` to a new file beside `path` and renames it over `path`: a crash leaves one or the other. */
export function rewrite(path: string, records: readonly object[]): { fd: number; size: number } {
  const temp = `${path}.compact`;
  const fd = openSync(temp, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  const bytes = Buffer.concat(records.map(encodeRecord));
  append(fd, bytes, 0);
  renameSync(temp, path);
  return { fd, size: bytes.length };
}
