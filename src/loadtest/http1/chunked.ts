// Chunked transfer coding for the load client's response parser (loadtest): the parser's states and
// the pure step over one byte of the framing around chunk data (size lines, CRLFs, trailers).

/** Where the parser is in a response; the Chunk* and Trailer* states read the chunked framing. */
export const enum State {
  Head,
  Length,
  Eof,
  ChunkSize,
  ChunkExt,
  ChunkSizeLf,
  ChunkData,
  ChunkDataCr,
  ChunkDataLf,
  TrailerStart,
  TrailerLine,
  TrailerLineLf,
  TrailerEndLf,
  Done,
}

const CR = 13;
const LF = 10;

/**
 * The state after framing byte `c` read in `state`, or an error message. The parser adds the hex
 * digits of a chunk size itself (they change the size, not the state); `size` is the size read.
 */
export function afterFrameByte(state: State, c: number, size: number): State | string {
  switch (state) {
    case State.ChunkSize:
      if (c === CR) return State.ChunkSizeLf;
      if (c === 0x3b /* ; */ || c === 0x20 || c === 0x09) return State.ChunkExt;
      return 'bad chunk size';
    case State.ChunkExt:
      return c === CR ? State.ChunkSizeLf : state;
    case State.ChunkSizeLf:
      if (c !== LF) return 'bad chunk size line';
      return size === 0 ? State.TrailerStart : State.ChunkData;
    case State.ChunkDataCr:
      return c === CR ? State.ChunkDataLf : 'chunk not followed by CRLF';
    case State.ChunkDataLf:
      return c === LF ? State.ChunkSize : 'chunk not followed by CRLF';
    case State.TrailerStart:
      return c === CR ? State.TrailerEndLf : State.TrailerLine;
    case State.TrailerLine:
      return c === CR ? State.TrailerLineLf : state;
    case State.TrailerLineLf:
      return c === LF ? State.TrailerStart : 'bad trailer';
    case State.TrailerEndLf:
      return c === LF ? State.Done : 'bad end of chunked body';
    default:
      // Not a framing state: the parser never asks.
      return state;
  }
}

/** The value of hex digit `c`, or -1. */
export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}
