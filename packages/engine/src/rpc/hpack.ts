/**
 * HPACK (RFC 7541) for a server of small unary calls: it decodes request header blocks in full
 * (static and dynamic tables, Huffman strings, table size updates) and encodes its own few response
 * fields as literals that never touch the client's dynamic table. Names and values are kept as
 * latin1 strings, one character per octet, as header sizes are counted.
 */
import { huffmanDecode, HuffmanError } from "./huffman.js";

// prettier-ignore
const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [":authority", ""], [":method", "GET"], [":method", "POST"], [":path", "/"], [":path", "/index.html"],
  [":scheme", "http"], [":scheme", "https"], [":status", "200"], [":status", "204"], [":status", "206"],
  [":status", "304"], [":status", "400"], [":status", "404"], [":status", "500"], ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"], ["accept-language", ""], ["accept-ranges", ""], ["accept", ""],
  ["access-control-allow-origin", ""], ["age", ""], ["allow", ""], ["authorization", ""], ["cache-control", ""],
  ["content-disposition", ""], ["content-encoding", ""], ["content-language", ""], ["content-length", ""],
  ["content-location", ""], ["content-range", ""], ["content-type", ""], ["cookie", ""], ["date", ""], ["etag", ""],
  ["expect", ""], ["expires", ""], ["from", ""], ["host", ""], ["if-match", ""], ["if-modified-since", ""],
  ["if-none-match", ""], ["if-range", ""], ["if-unmodified-since", ""], ["last-modified", ""], ["link", ""],
  ["location", ""], ["max-forwards", ""], ["proxy-authenticate", ""], ["proxy-authorization", ""], ["range", ""],
  ["referer", ""], ["refresh", ""], ["retry-after", ""], ["server", ""], ["set-cookie", ""],
  ["strict-transport-security", ""], ["transfer-encoding", ""], ["user-agent", ""], ["vary", ""], ["via", ""],
  ["www-authenticate", ""],
];

/** Per-entry overhead in the dynamic table's size (RFC 7541, 4.1). */
const ENTRY_OVERHEAD = 32;

export type HeaderField = readonly [name: string, value: string];

export class HpackError extends Error {}

/** One connection's decoding context. `maxTableSize` is what this side advertised (SETTINGS_HEADER_TABLE_SIZE). */
export class HpackDecoder {
  /** Newest first, as indices count. */
  private readonly table: HeaderField[] = [];
  private tableSize = 0;
  private limit: number;

  constructor(private readonly maxTableSize = 4096) {
    this.limit = maxTableSize;
  }

  /** Decodes one complete header block; any malformation is a connection error (HpackError). */
  decode(block: Uint8Array): HeaderField[] {
    const fields: HeaderField[] = [];
    const cursor = { at: 0 };
    try {
      while (cursor.at < block.length) {
        const first = block[cursor.at]!;
        if (first & 0x80) {
          fields.push(this.field(readInteger(block, cursor, 7)));
        } else if (first & 0x40) {
          const field = this.literal(block, cursor, 6);
          this.insert(field);
          fields.push(field);
        } else if (first & 0x20) {
          const size = readInteger(block, cursor, 5);
          if (size > this.maxTableSize) throw new HpackError(`table size update to ${size} above ${this.maxTableSize}`);
          this.limit = size;
          this.evictTo(size);
        } else {
          // Without indexing (0000) or never indexed (0001): either way not added here.
          fields.push(this.literal(block, cursor, 4));
        }
      }
    } catch (err) {
      if (err instanceof HuffmanError) throw new HpackError(err.message);
      throw err;
    }
    return fields;
  }

  private field(index: number): HeaderField {
    if (index === 0) throw new HpackError("header index 0");
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
    const field = this.table[index - STATIC_TABLE.length - 1];
    if (!field) throw new HpackError(`header index ${index} beyond the tables`);
    return field;
  }

  private literal(block: Uint8Array, cursor: { at: number }, prefixBits: number): HeaderField {
    const nameIndex = readInteger(block, cursor, prefixBits);
    const name = nameIndex === 0 ? readString(block, cursor) : this.field(nameIndex)[0];
    return [name, readString(block, cursor)];
  }

  private insert(field: HeaderField): void {
    const size = field[0].length + field[1].length + ENTRY_OVERHEAD;
    this.evictTo(this.limit - size);
    // An entry larger than the whole table empties it and is not kept (RFC 7541, 4.4).
    if (size > this.limit) return;
    this.table.unshift(field);
    this.tableSize += size;
  }

  private evictTo(size: number): void {
    while (this.tableSize > Math.max(size, 0) && this.table.length > 0) {
      const [name, value] = this.table.pop()!;
      this.tableSize -= name.length + value.length + ENTRY_OVERHEAD;
    }
  }
}

/** An integer with an N-bit prefix (RFC 7541, 5.1); the prefix's flag bits above it are ignored. */
function readInteger(block: Uint8Array, cursor: { at: number }, prefixBits: number): number {
  if (cursor.at >= block.length) throw new HpackError("truncated integer");
  const mask = (1 << prefixBits) - 1;
  let value = block[cursor.at++]! & mask;
  if (value < mask) return value;
  for (let shift = 0; ; shift += 7) {
    if (cursor.at >= block.length) throw new HpackError("truncated integer");
    // Header sizes are bounded far below 2^28; a longer integer is an attack, not a header.
    if (shift > 21) throw new HpackError("integer too large");
    const byte = block[cursor.at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return value;
  }
}

function readString(block: Uint8Array, cursor: { at: number }): string {
  const huffman = (block[cursor.at] ?? 0) & 0x80;
  const length = readInteger(block, cursor, 7);
  const start = cursor.at;
  const end = start + length;
  if (end > block.length) throw new HpackError("truncated string");
  cursor.at = end;
  return huffman ? huffmanDecode(block, start, end).toString("latin1") : Buffer.from(block.buffer, block.byteOffset + start, length).toString("latin1");
}

/**
 * A header block of literal fields that never enter the peer's dynamic table: a field the static
 * table holds whole goes as its index, a known name as its index plus the value. No Huffman coding:
 * these blocks are small and built once or per error.
 */
export function encodeHeaderBlock(fields: readonly HeaderField[]): Buffer {
  const parts: number[] = [];
  for (const [name, value] of fields) {
    const whole = STATIC_TABLE.findIndex(([n, v]) => n === name && v === value);
    if (whole >= 0) {
      writeInteger(parts, whole + 1, 7, 0x80);
      continue;
    }
    const named = STATIC_TABLE.findIndex(([n]) => n === name);
    if (named >= 0) writeInteger(parts, named + 1, 4, 0x00);
    else {
      parts.push(0x00);
      writeString(parts, name);
    }
    writeString(parts, value);
  }
  return Buffer.from(parts);
}

function writeInteger(out: number[], value: number, prefixBits: number, flags: number): void {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) {
    out.push(flags | value);
    return;
  }
  out.push(flags | mask);
  let rest = value - mask;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

function writeString(out: number[], text: string): void {
  const bytes = Buffer.from(text, "latin1");
  writeInteger(out, bytes.length, 7, 0x00);
  for (const byte of bytes) out.push(byte);
}
