/**
 * @module providers/http/http.pattern — the patterns of the generic HTTP gateway (successPattern,
 * messageIdPattern), run by a linear-time matcher instead of JavaScript's backtracking RegExp, so no
 * pattern an admin writes can stall the server: matching takes time proportional to the answer's
 * length times the pattern's size, whatever the pattern (`^a{14}(a+)+$` included).
 *
 * The language is the common part of regular expressions: literal characters; `.`; classes
 * `[a-z0-9_]`, `[^,]`; `\d \D \w \W \s \S \t \n \r` and escaped punctuation (`\.`, `\(`); anchors `^`
 * and `$` (whole answer); groups `( … )` (captured, numbered from 1) and `(?: … )`; alternatives `|`;
 * repetition `* + ? {n} {n,} {n,m}`, greedy or lazy (`*?`). Not supported, refused when the gateway
 * is saved: back-references (`\1`), look-around (`(?=`, `(?!`, `(?<=`), named groups, `\b`, and flags.
 * Matching is leftmost-first, as in JavaScript, so existing patterns of this form keep their meaning.
 */

type Test = (c: string) => boolean;

type Node =
  | { t: 'char'; test: Test }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; options: Node[] }
  | { t: 'group'; index: number | null; body: Node }
  | { t: 'repeat'; node: Node; min: number; max: number; greedy: boolean }
  | { t: 'bol' }
  | { t: 'eol' };

type Op =
  | { op: 'char'; test: Test }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; x: number }
  | { op: 'save'; n: number }
  | { op: 'bol' }
  | { op: 'eol' }
  | { op: 'match' };

/** Patterns larger than this (after repetitions are spelled out) are refused. */
const MAX_PROGRAM = 2000;

const isDigit: Test = (c) => c >= '0' && c <= '9';
const isWord: Test = (c) => isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isSpace: Test = (c) => /^\s$/.test(c);
const isLineEnd: Test = (c) => c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029';
const not = (f: Test): Test => (c) => !f(c);
const is = (x: string): Test => (c) => c === x;

const CLASS_ESCAPES: Record<string, Test> = { d: isDigit, D: not(isDigit), w: isWord, W: not(isWord), s: isSpace, S: not(isSpace) };
const CHAR_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f', v: '\v', '0': '\0' };

class PatternError extends Error {}

class Parser {
  private i = 0;
  groups = 0;
  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.alt();
    if (this.i < this.src.length) {
      throw new PatternError(`an unmatched ")" at position ${this.i + 1}`);
    }
    return node;
  }

  private peek(): string | undefined {
    return this.src[this.i];
  }

  private alt(): Node {
    const options = [this.seq()];
    while (this.peek() === '|') {
      this.i++;
      options.push(this.seq());
    }
    return options.length === 1 ? (options[0] as Node) : { t: 'alt', options };
  }

  private seq(): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    return { t: 'seq', items };
  }

  private quantified(atom: Node): Node {
    const rest = this.src.slice(this.i);
    let min: number;
    let max: number;
    const counted = /^\{(\d{1,4})(,(\d{0,4}))?\}/.exec(rest);
    if (rest[0] === '*' || rest[0] === '+' || rest[0] === '?') {
      [min, max] = rest[0] === '*' ? [0, Infinity] : rest[0] === '+' ? [1, Infinity] : [0, 1];
      this.i++;
    } else if (counted) {
      min = Number(counted[1]);
      max = counted[2] === undefined ? min : counted[3] === '' ? Infinity : Number(counted[3]);
      if (max < min) {
        throw new PatternError(`the repetition ${counted[0]} counts backwards`);
      }
      this.i += counted[0].length;
    } else {
      return atom;
    }
    if (atom.t === 'bol' || atom.t === 'eol') {
      throw new PatternError('an anchor (^ or $) cannot be repeated');
    }
    const lazy = this.peek() === '?';
    if (lazy) {
      this.i++;
    }
    const after = this.peek();
    if (after === '*' || after === '+' || after === '?' || (after === '{' && /^\{\d+(,\d*)?\}/.test(this.src.slice(this.i)))) {
      throw new PatternError(`a repetition at position ${this.i + 1} repeats nothing`);
    }
    return { t: 'repeat', node: atom, min, max, greedy: !lazy };
  }

  private atom(): Node {
    const c = this.src[this.i++] as string;
    switch (c) {
      case '(':
        return this.group();
      case '[':
        return { t: 'char', test: this.charClass() };
      case '.':
        return { t: 'char', test: not(isLineEnd) };
      case '^':
        return { t: 'bol' };
      case '$':
        return { t: 'eol' };
      case '\\':
        return { t: 'char', test: this.escape(false) };
      case '*':
      case '+':
      case '?':
        throw new PatternError(`"${c}" at position ${this.i} repeats nothing`);
      default:
        return { t: 'char', test: is(c) };
    }
  }

  private group(): Node {
    let index: number | null = null;
    if (this.peek() === '?') {
      if (this.src[this.i + 1] !== ':') {
        throw new PatternError('look-around and named groups ("(?=", "(?!", "(?<") are not supported');
      }
      this.i += 2;
    } else {
      index = ++this.groups;
    }
    const body = this.alt();
    if (this.peek() !== ')') {
      throw new PatternError('a group is not closed with ")"');
    }
    this.i++;
    return { t: 'group', index, body };
  }

  private escape(inClass: boolean): Test {
    const c = this.src[this.i++];
    if (c === undefined) {
      throw new PatternError('the pattern ends with a lone "\\"');
    }
    const cls = CLASS_ESCAPES[c];
    if (cls) {
      return cls;
    }
    const ch = CHAR_ESCAPES[c];
    if (ch !== undefined && (c !== '0' || !isDigit(this.peek() ?? ''))) {
      return is(ch);
    }
    if (/[A-Za-z0-9]/.test(c)) {
      const what = /[1-9]/.test(c) ? 'back-references' : c === 'b' || c === 'B' ? (inClass ? `"\\${c}"` : 'word boundaries') : `"\\${c}"`;
      throw new PatternError(`${what} ${what.startsWith('"') ? 'is' : 'are'} not supported`);
    }
    return is(c);
  }

  /** After "[": the class's test; ranges and escapes inside, "^" first negates. */
  private charClass(): Test {
    const negate = this.peek() === '^';
    if (negate) {
      this.i++;
    }
    const tests: Test[] = [];
    for (;;) {
      const c = this.src[this.i++];
      if (c === undefined) {
        throw new PatternError('a class "[" is not closed with "]"');
      }
      if (c === ']') {
        break;
      }
      let lo: string | null = c;
      if (c === '\\') {
        const before = this.i;
        const esc = this.escape(true);
        const letter = this.src[before] as string;
        if (CLASS_ESCAPES[letter]) {
          tests.push(esc);
          continue;
        }
        lo = CHAR_ESCAPES[letter] ?? letter;
      }
      if (this.peek() === '-' && this.src[this.i + 1] !== undefined && this.src[this.i + 1] !== ']') {
        this.i++;
        let hi = this.src[this.i++] as string;
        if (hi === '\\') {
          const letter = this.src[this.i] as string;
          if (CLASS_ESCAPES[letter]) {
            throw new PatternError('a class range cannot end with \\d, \\w or \\s');
          }
          this.escape(true);
          hi = CHAR_ESCAPES[letter] ?? letter;
        }
        if (hi < lo) {
          throw new PatternError(`the class range ${lo}-${hi} is out of order`);
        }
        const [a, b] = [lo, hi];
        tests.push((x) => x >= a && x <= b);
      } else {
        tests.push(is(lo));
      }
    }
    const any: Test = (x) => tests.some((t) => t(x));
    return negate ? not(any) : any;
  }
}

function compile(node: Node, prog: Op[]): void {
  if (prog.length > MAX_PROGRAM) {
    throw new PatternError(`it is too large once its repetitions are spelled out (at most ${MAX_PROGRAM} steps)`);
  }
  switch (node.t) {
    case 'char':
      prog.push({ op: 'char', test: node.test });
      return;
    case 'bol':
    case 'eol':
      prog.push({ op: node.t });
      return;
    case 'seq':
      node.items.forEach((n) => compile(n, prog));
      return;
    case 'group':
      if (node.index !== null) {
        prog.push({ op: 'save', n: node.index * 2 });
      }
      compile(node.body, prog);
      if (node.index !== null) {
        prog.push({ op: 'save', n: node.index * 2 + 1 });
      }
      return;
    case 'alt': {
      const jumps: { op: 'jmp'; x: number }[] = [];
      node.options.forEach((option, k) => {
        const split = k < node.options.length - 1 ? ({ op: 'split', x: prog.length + 1, y: -1 } as Extract<Op, { op: 'split' }>) : null;
        if (split) {
          prog.push(split);
        }
        compile(option, prog);
        if (split) {
          const jmp = { op: 'jmp' as const, x: -1 };
          prog.push(jmp);
          jumps.push(jmp);
          split.y = prog.length;
        }
      });
      jumps.forEach((j) => (j.x = prog.length));
      return;
    }
    case 'repeat': {
      for (let k = 0; k < node.min; k++) {
        compile(node.node, prog);
      }
      const branch = (split: Extract<Op, { op: 'split' }>, body: number, out: number) => {
        [split.x, split.y] = node.greedy ? [body, out] : [out, body];
      };
      if (node.max === Infinity) {
        const split = { op: 'split' as const, x: -1, y: -1 };
        const top = prog.length;
        prog.push(split);
        compile(node.node, prog);
        prog.push({ op: 'jmp', x: top });
        branch(split, top + 1, prog.length);
        return;
      }
      const splits: Extract<Op, { op: 'split' }>[] = [];
      for (let k = node.min; k < node.max; k++) {
        const split = { op: 'split' as const, x: -1, y: -1 };
        splits.push(split);
        prog.push(split);
        const body = prog.length;
        compile(node.node, prog);
        split.x = body;
      }
      splits.forEach((s) => branch(s, s.x, prog.length));
      return;
    }
  }
}

export interface TextPattern {
  readonly source: string;
  test(input: string): boolean;
  /** [whole match, group 1, …] of the leftmost match (undefined for a group that took no part), or null. */
  exec(input: string): (string | undefined)[] | null;
}

interface Thread {
  pc: number;
  caps: number[];
}

/** Pike's VM: every thread advances one character at a time, so time is O(input × program). */
function run(prog: readonly Op[], slots: number, input: string): number[] | null {
  const seen = new Int32Array(prog.length);
  let gen = 1;
  let matched: number[] | null = null;
  const add = (list: Thread[], pc: number, caps: number[], pos: number): void => {
    if (seen[pc] === gen) {
      return;
    }
    seen[pc] = gen;
    const op = prog[pc] as Op;
    switch (op.op) {
      case 'jmp':
        add(list, op.x, caps, pos);
        return;
      case 'split':
        add(list, op.x, caps, pos);
        add(list, op.y, caps, pos);
        return;
      case 'save': {
        const next = caps.slice();
        next[op.n] = pos;
        add(list, pc + 1, next, pos);
        return;
      }
      case 'bol':
        if (pos === 0) {
          add(list, pc + 1, caps, pos);
        }
        return;
      case 'eol':
        if (pos === input.length) {
          add(list, pc + 1, caps, pos);
        }
        return;
      default:
        list.push({ pc, caps });
    }
  };
  let current: Thread[] = [];
  for (let pos = 0; pos <= input.length; pos++) {
    if (!matched) {
      // A new attempt starting here, after (lower priority than) the attempts already running.
      add(current, 0, new Array<number>(slots).fill(-1), pos);
    }
    if (current.length === 0) {
      break;
    }
    gen++;
    const next: Thread[] = [];
    const c = input[pos];
    for (const th of current) {
      const op = prog[th.pc] as Op;
      if (op.op === 'match') {
        matched = th.caps;
        break; // threads after this one have lower priority
      }
      if (op.op === 'char' && c !== undefined && op.test(c)) {
        add(next, th.pc + 1, th.caps, pos + 1);
      }
    }
    current = next;
  }
  return matched;
}

/** Compiles a pattern; throws a plain message saying what is not supported. */
export function compilePattern(source: string): TextPattern {
  let prog: Op[];
  let groups: number;
  try {
    const parser = new Parser(source);
    const node = parser.parse();
    groups = parser.groups;
    prog = [{ op: 'save', n: 0 }];
    compile(node, prog);
    prog.push({ op: 'save', n: 1 }, { op: 'match' });
  } catch (err) {
    if (err instanceof PatternError) {
      throw new Error(`${err.message} (see "Patterns" in docs/gateways.md).`);
    }
    throw err;
  }
  const slots = (groups + 1) * 2;
  const exec = (input: string) => {
    const caps = run(prog, slots, input);
    if (!caps) {
      return null;
    }
    return Array.from({ length: groups + 1 }, (_, k) => {
      const [a, b] = [caps[2 * k] as number, caps[2 * k + 1] as number];
      return a < 0 || b < 0 ? undefined : input.slice(a, b);
    });
  };
  return { source, exec, test: (input) => exec(input) !== null };
}
