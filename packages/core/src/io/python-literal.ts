/**
 * A small, safe parser for the Python literals found in `.npy` headers: dicts, tuples, lists,
 * strings, integers, `True`, `False` and `None`. Nothing is evaluated.
 */
import { MechintError } from '../errors.js';

/** A parsed Python literal. Integers are `bigint`s so that no digit is lost. */
export type PyLiteral =
  | { readonly kind: 'str'; readonly value: string }
  | { readonly kind: 'int'; readonly value: bigint }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'none' }
  | { readonly kind: 'tuple'; readonly items: readonly PyLiteral[] }
  | { readonly kind: 'list'; readonly items: readonly PyLiteral[] }
  | { readonly kind: 'dict'; readonly entries: ReadonlyMap<string, PyLiteral> };

const MAX_DEPTH = 32;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '0': '\0' };

/**
 * Parses one Python literal (surrounding whitespace allowed). Throws `INVALID_FILE` naming
 * `what` and the offending position when the text is anything else.
 *
 * @example
 * ```ts
 * const header = parsePythonLiteral("{'shape': (2, 3), 'fortran_order': False}", '.npy header');
 * header.kind; // 'dict'
 * ```
 */
export function parsePythonLiteral(text: string, what: string): PyLiteral {
  let pos = 0;

  const fail: (expected: string) => never = (expected) => {
    const found = pos < text.length ? `'${text.slice(pos, pos + 12)}'` : 'the end of the text';
    throw new MechintError('INVALID_FILE', `Malformed ${what}: expected ${expected} at character ${pos}, found ${found}.`, {
      details: { position: pos },
    });
  };
  const skipSpace = (): void => {
    while (pos < text.length && ' \t\r\n'.includes(text[pos]!)) pos++;
  };
  const eat = (token: string): boolean => {
    skipSpace();
    if (!text.startsWith(token, pos)) return false;
    pos += token.length;
    return true;
  };

  const sequence = (close: string, depth: number): { items: PyLiteral[]; comma: boolean } => {
    const items: PyLiteral[] = [];
    let comma = false;
    if (eat(close)) return { items, comma };
    for (;;) {
      items.push(value(depth + 1));
      if (eat(close)) break;
      if (!eat(',')) fail(`',' or '${close}'`);
      comma = true;
      if (eat(close)) break;
    }
    return { items, comma };
  };

  const dict = (depth: number): PyLiteral => {
    const entries = new Map<string, PyLiteral>();
    if (eat('}')) return { kind: 'dict', entries };
    for (;;) {
      const key = value(depth + 1);
      if (key.kind !== 'str') fail('a string key');
      if (!eat(':')) fail("':'");
      entries.set(key.value, value(depth + 1));
      if (eat('}')) break;
      if (!eat(',')) fail("',' or '}'");
      if (eat('}')) break;
    }
    return { kind: 'dict', entries };
  };

  const string = (quote: string): PyLiteral => {
    let out = '';
    while (pos < text.length && text[pos] !== quote) {
      const c = text[pos++]!;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = text[pos++] ?? '';
      if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(pos, pos + 2))) {
        out += String.fromCharCode(parseInt(text.slice(pos, pos + 2), 16));
        pos += 2;
      } else if (Object.hasOwn(ESCAPES, e)) {
        out += ESCAPES[e]!;
      } else {
        pos--;
        fail('a supported string escape (\\\\, \\\', \\", \\n, \\t, \\r, \\0, \\xNN)');
      }
    }
    if (pos >= text.length) fail(`a closing ${quote}`);
    pos++;
    return { kind: 'str', value: out };
  };

  const value = (depth: number): PyLiteral => {
    if (depth > MAX_DEPTH) fail(`at most ${MAX_DEPTH} levels of nesting`);
    skipSpace();
    const c = text[pos];
    if (c === '{') {
      pos++;
      return dict(depth);
    }
    if (c === '(') {
      pos++;
      const { items, comma } = sequence(')', depth);
      return items.length === 1 && !comma ? items[0]! : { kind: 'tuple', items };
    }
    if (c === '[') {
      pos++;
      return { kind: 'list', items: sequence(']', depth).items };
    }
    if (c === "'" || c === '"') {
      pos++;
      return string(c);
    }
    const word = /^(?:[-+]?\d+L?|True|False|None)/.exec(text.slice(pos, pos + 64));
    if (word === null) return fail('a dict, tuple, list, string, integer, True, False or None');
    pos += word[0].length;
    if (word[0] === 'True' || word[0] === 'False') return { kind: 'bool', value: word[0] === 'True' };
    if (word[0] === 'None') return { kind: 'none' };
    return { kind: 'int', value: BigInt(word[0].replace(/L$/, '').replace(/^\+/, '')) };
  };

  const result = value(0);
  skipSpace();
  if (pos !== text.length) fail('the end of the literal');
  return result;
}
