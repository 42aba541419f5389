// A cheap check that a response body is an OIP v2 inference response (loadtest): fed the body as it
// is read, without keeping or parsing it, so every request is checked at no measurable cost.

const KEY = Buffer.from('"outputs"');
/** Bytes of a piece kept to find a key split across two reads. */
const TAIL = KEY.length - 1;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Where the search for `"outputs": [` stands. */
const enum Key {
  Searching,
  AfterKey,
  AfterColon,
  Found,
}

/**
 * Passes a body that is a JSON object (`{` ... `}`) holding `"outputs": [`; with the binary tensor
 * extension, the same for its JSON header, whose Inference-Header-Content-Length must fit the body.
 * It does not parse the JSON (--check-shape does): it tells an inference answer from an HTML page,
 * an empty body, `{"error": ...}` or any other 2xx that carries no outputs.
 */
export class InferenceBodyProbe {
  private binaryHeaderLength: number | undefined;
  private jsonLeft = Infinity;
  private bodyBytes = 0;
  private first = 0;
  private last = 0;
  private key = Key.Searching;
  /** The last bytes seen, then the first bytes of the next piece: the joint where a key may be split. */
  private readonly joint = Buffer.alloc(2 * TAIL);
  private tailLength = 0;

  /** Starts a body; `binaryHeaderLength` is the Inference-Header-Content-Length value, if any. */
  start(binaryHeaderLength: number | undefined): void {
    this.binaryHeaderLength = binaryHeaderLength;
    this.jsonLeft =
      binaryHeaderLength !== undefined && Number.isInteger(binaryHeaderLength) && binaryHeaderLength >= 0
        ? binaryHeaderLength
        : Infinity;
    this.bodyBytes = 0;
    this.first = 0;
    this.last = 0;
    this.key = Key.Searching;
    this.tailLength = 0;
  }

  /** Feeds body bytes `chunk[from, to)`, in order. */
  feed(chunk: Buffer, from: number, to: number): void {
    this.bodyBytes += to - from;
    const end = Math.min(to, from + this.jsonLeft);
    if (end <= from) return;
    this.jsonLeft -= end - from;
    if (this.first === 0) {
      let k = from;
      while (k < end && isSpace(chunk[k]!)) k++;
      if (k < end) this.first = chunk[k]!;
    }
    let k = end - 1;
    while (k >= from && isSpace(chunk[k]!)) k--;
    if (k >= from) this.last = chunk[k]!;
    if (this.key !== Key.Found) this.findKey(chunk, from, end);
  }

  /** True when the body ended as an inference response would. */
  get passed(): boolean {
    const binary = this.binaryHeaderLength;
    if (binary !== undefined && !(Number.isInteger(binary) && binary >= 0 && binary <= this.bodyBytes)) return false;
    return this.first === OPEN_BRACE && this.last === CLOSE_BRACE && this.key === Key.Found;
  }

  private findKey(chunk: Buffer, from: number, end: number): void {
    let i = from;
    if (this.key === Key.Searching && this.tailLength > 0) {
      // The key may straddle the previous piece and this one: search their joint.
      const head = Math.min(TAIL, end - from);
      chunk.copy(this.joint, this.tailLength, from, from + head);
      const jointLength = this.tailLength + head;
      const at = this.joint.subarray(0, jointLength).indexOf(KEY);
      if (at >= 0) {
        this.key = Key.AfterKey;
        i = from + at + KEY.length - this.tailLength;
      } else if (head < TAIL) {
        // A piece shorter than the tail: the next joint needs bytes from before it too.
        this.joint.copy(this.joint, 0, jointLength - Math.min(TAIL, jointLength), jointLength);
        this.tailLength = Math.min(TAIL, jointLength);
        return;
      }
    }
    while (i < end && this.key !== Key.Found) {
      if (this.key === Key.Searching) {
        const at = chunk.indexOf(KEY, i);
        if (at < 0 || at + KEY.length > end) break;
        this.key = Key.AfterKey;
        i = at + KEY.length;
        continue;
      }
      const c = chunk[i++]!;
      if (isSpace(c)) continue;
      if (this.key === Key.AfterKey && c === COLON) this.key = Key.AfterColon;
      else if (this.key === Key.AfterColon && c === OPEN_BRACKET) this.key = Key.Found;
      // "outputs" was a value or an array's name elsewhere, not the key of an array: look further.
      else this.key = Key.Searching;
    }
    // Only a search still open needs this piece's tail (the usual one-read answer skips the copy).
    if (this.key !== Key.Searching) this.tailLength = 0;
    else if (end - from >= TAIL) {
      chunk.copy(this.joint, 0, end - TAIL, end);
      this.tailLength = TAIL;
    } else {
      chunk.copy(this.joint, this.tailLength, from, end);
      const jointLength = this.tailLength + end - from;
      const keep = Math.min(TAIL, jointLength);
      this.joint.copy(this.joint, 0, jointLength - keep, jointLength);
      this.tailLength = keep;
    }
  }
}
