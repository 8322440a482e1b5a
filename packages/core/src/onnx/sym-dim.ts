/**
 * Symbolic dimensions: integer expressions over the symbolic dims of a model's inputs
 * (`'batch'`, `'2*W'`, `'floor((W - 1) / 2) + 1'`), kept in a canonical form so that equal
 * expressions print equally, and evaluated for the sizes of one run.
 *
 * A string {@link Dim} is such an expression. Symbols are identifiers (`[A-Za-z_][A-Za-z0-9_.]*`)
 * or any other name in backquotes (`` `x:0` ``). Terms are sums of integer multiples of products
 * of atoms — symbols, `floor(e / k)` and `ceil(e / k)` for a positive integer `k`.
 */
import type { Dim } from './types.js';

/** A sum of integer multiples of monomials plus a constant. */
export interface SymExpr {
  readonly constant: number;
  /** Monomial key (atom keys joined by `*`, sorted) → coefficient (never 0). */
  readonly terms: ReadonlyMap<string, number>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** A constant expression. */
export function symConst(n: number): SymExpr {
  return { constant: n, terms: new Map() };
}

/** The expression of one symbol (an input's `dim_param`). */
export function symVar(name: string): SymExpr {
  return { constant: 0, terms: new Map([[IDENTIFIER.test(name) && !FUNCTIONS.has(name) ? name : `\`${name}\``, 1]]) };
}

const FUNCTIONS = new Set(['floor', 'ceil']);

/** The number an expression stands for, when it has no symbols. */
export function symNumber(e: SymExpr): number | undefined {
  return e.terms.size === 0 ? e.constant : undefined;
}

/** `a + b`. */
export function symAdd(a: SymExpr, b: SymExpr, sign = 1): SymExpr {
  const terms = new Map(a.terms);
  for (const [k, c] of b.terms) {
    const sum = (terms.get(k) ?? 0) + sign * c;
    if (sum === 0) terms.delete(k);
    else terms.set(k, sum);
  }
  return { constant: a.constant + sign * b.constant, terms };
}

/** `a - b`. */
export function symSub(a: SymExpr, b: SymExpr): SymExpr {
  return symAdd(a, b, -1);
}

/** `a * b`, multiplied out. */
export function symMul(a: SymExpr, b: SymExpr): SymExpr {
  const parts = (e: SymExpr): [string[], number][] => [...(e.constant === 0 ? [] : [[[], e.constant] as [string[], number]]), ...[...e.terms].map(([k, c]): [string[], number] => [splitMonomial(k), c])];
  let out = symConst(0);
  for (const [ka, ca] of parts(a)) {
    for (const [kb, cb] of parts(b)) {
      const atoms = [...ka, ...kb].sort();
      const term: SymExpr = atoms.length === 0 ? symConst(ca * cb) : { constant: 0, terms: new Map([[atoms.join('*'), ca * cb]]) };
      out = symAdd(out, term);
    }
  }
  return out;
}

/** `floor(a / k)` (`ceil` when `round` is `'ceil'`) for an integer `k > 0`; exact parts come out of the bracket. */
export function symDivInt(a: SymExpr, k: number, round: 'floor' | 'ceil' = 'floor'): SymExpr {
  if (k === 1) return a;
  let whole = symConst(0);
  const rest = new Map<string, number>();
  for (const [key, c] of a.terms) {
    if (c % k === 0) whole = symAdd(whole, { constant: 0, terms: new Map([[key, c / k]]) });
    else rest.set(key, c);
  }
  const roundFn = round === 'floor' ? Math.floor : Math.ceil;
  if (rest.size === 0) return symAdd(whole, symConst(roundFn(a.constant / k)));
  const shift = Math.floor(a.constant / k);
  const remainder: SymExpr = { constant: a.constant - shift * k, terms: rest };
  const atom = `${round}((${symFormat(remainder)}) / ${k})`;
  return symAdd(symAdd(whole, symConst(shift)), { constant: 0, terms: new Map([[atom, 1]]) });
}

/**
 * `a / b` when it divides exactly in this algebra (`b` a constant or a single monomial that every
 * term of `a` contains), else `undefined`. Used where ONNX guarantees exact division (Reshape's -1).
 */
export function symDivExact(a: SymExpr, b: SymExpr): SymExpr | undefined {
  const n = symNumber(b);
  if (n !== undefined) {
    return n > 0 ? symDivInt(a, n) : undefined;
  }
  if (b.constant !== 0 || b.terms.size !== 1 || a.constant !== 0) return undefined;
  const [[bKey, bCoef]] = [...b.terms] as [[string, number]];
  const divisor = splitMonomial(bKey);
  let out = symConst(0);
  for (const [key, c] of a.terms) {
    const atoms = splitMonomial(key);
    for (const d of divisor) {
      const i = atoms.indexOf(d);
      if (i < 0) return undefined;
      atoms.splice(i, 1);
    }
    if (c % bCoef !== 0) return undefined;
    out = symAdd(out, atoms.length === 0 ? symConst(c / bCoef) : { constant: 0, terms: new Map([[atoms.join('*'), c / bCoef]]) });
  }
  return out;
}

/** Canonical text of an expression (terms in key order, constant last). */
export function symFormat(e: SymExpr): string {
  const keys = [...e.terms.keys()].sort();
  let out = '';
  for (const key of keys) {
    const c = e.terms.get(key)!;
    const body = Math.abs(c) === 1 ? key : `${Math.abs(c)}*${key}`;
    out += out === '' ? (c < 0 ? `-${body}` : body) : c < 0 ? ` - ${body}` : ` + ${body}`;
  }
  if (out === '') return String(e.constant);
  if (e.constant !== 0) out += e.constant < 0 ? ` - ${-e.constant}` : ` + ${e.constant}`;
  return out;
}

/** An expression as a {@link Dim}: a number when constant, else its canonical text. */
export function symToDim(e: SymExpr | null): Dim {
  if (e === null) return null;
  return symNumber(e) ?? symFormat(e);
}

/**
 * A {@link Dim} as an expression (`null` stays `null`). Texts that do not parse in this grammar
 * (a `dim_param` such as `seq-len` or `x:0`) stand for one opaque symbol.

 */
export function dimToSym(d: Dim): SymExpr | null {
  if (d === null) return null;
  if (typeof d === 'number') return symConst(d);
  try {
    return new Parser(d).parse();
  } catch {
    return symVar(d);
  }
}

/**
 * The size a {@link Dim} has in a run where the symbols have the sizes in `sizes`; `undefined`
 * when the dim is unknown or names a symbol `sizes` lacks.
 *
 * @example
 * ```ts
 * import { evaluateDim } from '@mechint/core';
 * evaluateDim('floor((W - 1) / 2) + 1', new Map([['W', 320]])); // 160
 * ```
 */
export function evaluateDim(d: Dim, sizes: ReadonlyMap<string, number>): number | undefined {
  if (d === null) return undefined;
  if (typeof d === 'number') return d;
  if (sizes.has(d)) return sizes.get(d);
  const e = dimToSym(d);
  return e === null ? undefined : evaluate(e, sizes);
}

function evaluate(e: SymExpr, sizes: ReadonlyMap<string, number>): number | undefined {
  let total = e.constant;
  for (const [key, c] of e.terms) {
    let product = c;
    for (const atom of splitMonomial(key)) {
      const v = evaluateAtom(atom, sizes);
      if (v === undefined) return undefined;
      product *= v;
    }
    total += product;
  }
  return total;
}

function evaluateAtom(atom: string, sizes: ReadonlyMap<string, number>): number | undefined {
  if (atom.startsWith('`')) return sizes.get(atom.slice(1, -1));
  if (IDENTIFIER.test(atom)) return sizes.get(atom);
  const match = /^(floor|ceil)\(\((.*)\) \/ (\d+)\)$/.exec(atom);
  if (match === null) return undefined;
  const inner = evaluate(new Parser(match[2]!).parse(), sizes);
  if (inner === undefined) return undefined;
  const q = inner / Number(match[3]);
  return match[1] === 'floor' ? Math.floor(q) : Math.ceil(q);
}

/** Splits a monomial key at top-level `*`. */
function splitMonomial(key: string): string[] {
  const atoms: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < key.length; i++) {
    const ch = key[i]!;
    if (ch === '`') quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth--;
    else if (!quoted && depth === 0 && ch === '*') {
      atoms.push(key.slice(start, i));
      start = i + 1;
    }
  }
  atoms.push(key.slice(start));
  return atoms;
}

/** Recursive-descent parser of the expression grammar; throws on anything else. */
class Parser {
  readonly #tokens: string[];
  #at = 0;

  constructor(text: string) {
    this.#tokens = text.match(/`[^`]*`|[A-Za-z_][A-Za-z0-9_.]*|\d+|[-+*/()]|\S/g) ?? [];
  }

  parse(): SymExpr {
    const e = this.sum();
    if (this.#at !== this.#tokens.length) throw new Error('trailing input');
    return e;
  }

  private peek(): string | undefined {
    return this.#tokens[this.#at];
  }

  private take(expected?: string): string {
    const t = this.#tokens[this.#at++];
    if (t === undefined || (expected !== undefined && t !== expected)) throw new Error(`expected ${expected ?? 'a token'}`);
    return t;
  }

  private sum(): SymExpr {
    let e = this.product();
    for (let t = this.peek(); t === '+' || t === '-'; t = this.peek()) {
      this.take();
      e = symAdd(e, this.product(), t === '+' ? 1 : -1);
    }
    return e;
  }

  private product(): SymExpr {
    let e = this.factor();
    while (this.peek() === '*') {
      this.take();
      e = symMul(e, this.factor());
    }
    return e;
  }

  private factor(): SymExpr {
    const t = this.take();
    if (t === '-') return symMul(symConst(-1), this.factor());
    if (t === '(') {
      const e = this.sum();
      this.take(')');
      return e;
    }
    if (/^\d+$/.test(t)) return symConst(Number(t));
    if ((t === 'floor' || t === 'ceil') && this.peek() === '(') {
      this.take('(');
      const e = this.sum();
      this.take('/');
      const k = Number(this.take());
      this.take(')');
      if (!Number.isInteger(k) || k <= 0) throw new Error('divisor');
      return symDivInt(e, k, t);
    }
    if (t.startsWith('`')) return symVar(t.slice(1, -1));
    if (IDENTIFIER.test(t)) return symVar(t);
    throw new Error(`unexpected ${t}`);
  }
}
