/**
 * A strict XML well-formedness check for the SVG figures (the suite has no XML library): every
 * tag closes in order, attributes are quoted and unique, entities are known, one root element.
 * Returns the root element's name.
 */
const NAME = /^[A-Za-z_:][\w:.-]*/;
const ENTITY = /^&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;

function checkText(text: string, where: number): void {
  for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1)) {
    if (!ENTITY.test(text.slice(i))) throw new Error(`bad entity at ${where + i}: ${text.slice(i, i + 12)}`);
  }
  if (text.includes('<')) throw new Error(`stray '<' at ${where}`);
}

export function parseXml(xml: string): string {
  const stack: string[] = [];
  let root: string | undefined;
  let i = 0;
  const source = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const text = source.slice(i, lt < 0 ? source.length : lt);
    if (stack.length === 0 && text.trim() !== '') throw new Error(`text outside the root at ${i}`);
    checkText(text, i);
    if (lt < 0) break;
    if (source.startsWith('<!--', lt)) {
      const end = source.indexOf('-->', lt);
      if (end < 0) throw new Error('unclosed comment');
      i = end + 3;
      continue;
    }
    if (source.startsWith('<![CDATA[', lt)) {
      const end = source.indexOf(']]>', lt);
      if (end < 0) throw new Error('unclosed CDATA');
      i = end + 3;
      continue;
    }
    const gt = source.indexOf('>', lt);
    if (gt < 0) throw new Error(`unclosed tag at ${lt}`);
    const tag = source.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}> at ${lt}`);
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const name = NAME.exec(body)?.[0];
      if (name === undefined) throw new Error(`bad tag name at ${lt}: <${tag.slice(0, 20)}`);
      let rest = body.slice(name.length);
      const seen = new Set<string>();
      while (rest.trim() !== '') {
        const m = /^\s+([A-Za-z_:][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/.exec(rest);
        if (m === null) throw new Error(`bad attribute in <${name}> at ${lt}: ${rest.slice(0, 30)}`);
        if (seen.has(m[1]!)) throw new Error(`duplicate attribute ${m[1]} in <${name}>`);
        seen.add(m[1]!);
        checkText(m[3] ?? m[4] ?? '', lt);
        rest = rest.slice(m[0].length);
      }
      if (stack.length === 0) {
        if (root !== undefined) throw new Error('two root elements');
        root = name;
      }
      if (!selfClosing) stack.push(name);
    }
    i = gt + 1;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.at(-1)}>`);
  if (root === undefined) throw new Error('no root element');
  return root;
}

/** Checks that `text` is a well-formed SVG document with a size. */
export function expectSvg(text: string): void {
  expect(parseXml(text)).toBe('svg');
  expect(text).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  expect(text).toMatch(/^<svg[^>]*width="\d+(\.\d+)?"/);
}
