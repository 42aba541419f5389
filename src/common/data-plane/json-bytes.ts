// The bytes of JSON's structure (common, data plane, pure): shared by the byte scans that read JSON without
// JSON.parse (the gateway cache's key scan, the replica's infer body scan).

export const QUOTE = 0x22,
  BACKSLASH = 0x5c,
  COMMA = 0x2c,
  COLON = 0x3a,
  OPEN_OBJ = 0x7b,
  CLOSE_OBJ = 0x7d,
  OPEN_ARR = 0x5b,
  CLOSE_ARR = 0x5d;

/** JSON's whitespace: space, line feed, carriage return, tab. */
export const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
