import { lineAndColumn } from '../snapshot/index.js';

/**
 * Where each value of a JSON text is, to point a person at the line of a property: a path such as
 * ['conditions', 'users', 'includeGroups', 1] -> the offset of the member's key ("includeGroups":)
 * or, for an array element, of the element. Only for text that JSON.parse accepts; a repeated key
 * is found where JSON.parse takes its value from (the last one).
 */
export class JsonPositions {
  private readonly offsets = new Map<string, number>();

  constructor(private readonly text: string) {
    new Scanner(text, this.offsets).document();
  }

  /** Line and column (1-based) of the path, or of the nearest enclosing value that is found */
  locate(path: readonly (string | number)[]): { line: number; column: number } | undefined {
    for (let n = path.length; n > 0; n--) {
      const offset = this.offsets.get(key(path.slice(0, n)));
      if (offset !== undefined) return lineAndColumn(this.text, offset);
    }
    return undefined;
  }
}

const key = (path: readonly (string | number)[]): string => JSON.stringify(path);

class Scanner {
  private i = 0;

  constructor(
    private readonly text: string,
    private readonly offsets: Map<string, number>,
  ) {}

  document(): void {
    if (this.text.charCodeAt(0) === 0xfeff) this.i = 1;
    try {
      this.value([]);
    } catch {
      // Not JSON after all: whatever was found is kept, the rest has no position.
    }
  }

  private space(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else return;
    }
  }

  private expect(char: string): void {
    if (this.text[this.i] !== char) throw new Error(`expected ${char} at ${this.i}`);
    this.i++;
  }

  private string(): string {
    const start = this.i;
    this.expect('"');
    while (this.i < this.text.length && this.text[this.i] !== '"') this.i += this.text[this.i] === '\\' ? 2 : 1;
    this.expect('"');
    return JSON.parse(this.text.slice(start, this.i)) as string;
  }

  private value(path: (string | number)[]): void {
    this.space();
    const c = this.text[this.i];
    if (c === '{') {
      this.i++;
      this.space();
      if (this.text[this.i] === '}') {
        this.i++;
        return;
      }
      for (;;) {
        this.space();
        const at = this.i;
        const name = this.string();
        this.space();
        this.expect(':');
        const member = [...path, name];
        this.offsets.set(key(member), at);
        this.value(member);
        this.space();
        if (this.text[this.i] === ',') {
          this.i++;
          continue;
        }
        this.expect('}');
        return;
      }
    }
    if (c === '[') {
      this.i++;
      this.space();
      if (this.text[this.i] === ']') {
        this.i++;
        return;
      }
      for (let n = 0; ; n++) {
        this.space();
        const element = [...path, n];
        this.offsets.set(key(element), this.i);
        this.value(element);
        this.space();
        if (this.text[this.i] === ',') {
          this.i++;
          continue;
        }
        this.expect(']');
        return;
      }
    }
    if (c === '"') {
      this.string();
      return;
    }
    const start = this.i;
    while (this.i < this.text.length && !',]} \t\r\n'.includes(this.text[this.i]!)) this.i++;
    if (this.i === start) throw new Error(`unexpected ${c ?? 'end'} at ${this.i}`);
  }
}
