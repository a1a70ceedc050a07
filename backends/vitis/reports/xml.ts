/*
 * A small XML reader for the vendor's report files (csynth XML): elements, attributes, text, comments, CDATA,
 * processing instructions and the DOCTYPE. Enough for machine-written reports; errors name the file and line.
 */
import { FirmflowError } from 'firmflow';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
}

export function parseXml(src: string, file: string): XmlElement {
  const fail = (at: number, msg: string): never => {
    const line = src.slice(0, at).split('\n').length;
    throw new FirmflowError('report.xml', `${file}:${line}: malformed XML: ${msg}`, { file, line });
  };
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  let i = 0;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const textEnd = lt < 0 ? src.length : lt;
    if (textEnd > i) {
      const text = src.slice(i, textEnd);
      if (stack.length === 1 && text.trim()) fail(i, 'text outside the root element');
      stack[stack.length - 1].text += decode(text);
    }
    if (lt < 0) break;
    if (src.startsWith('<!--', lt)) {
      const e = src.indexOf('-->', lt + 4);
      if (e < 0) fail(lt, 'unterminated comment');
      i = e + 3;
    } else if (src.startsWith('<![CDATA[', lt)) {
      const e = src.indexOf(']]>', lt + 9);
      if (e < 0) fail(lt, 'unterminated CDATA section');
      stack[stack.length - 1].text += src.slice(lt + 9, e);
      i = e + 3;
    } else if (src.startsWith('<?', lt)) {
      const e = src.indexOf('?>', lt + 2);
      if (e < 0) fail(lt, 'unterminated processing instruction');
      i = e + 2;
    } else if (src.startsWith('<!', lt)) {
      const e = src.indexOf('>', lt + 2);
      if (e < 0) fail(lt, 'unterminated declaration');
      i = e + 1;
    } else if (src[lt + 1] === '/') {
      const e = src.indexOf('>', lt);
      if (e < 0) fail(lt, 'unterminated end tag');
      const name = src.slice(lt + 2, e).trim();
      const top = stack.pop()!;
      if (stack.length === 0 || top.name !== name) fail(lt, `</${name}> does not close <${top.name}>`);
      i = e + 1;
    } else {
      const m = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(src.slice(lt, lt + 4096));
      if (!m) fail(lt, `bad start tag '${src.slice(lt, lt + 40).split('\n')[0]}'`);
      const el: XmlElement = { name: m![1], attrs: {}, children: [], text: '' };
      for (const a of m![2].matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) el.attrs[a[1]] = decode(a[2] ?? a[3] ?? '');
      if (stack.length === 1 && root.children.length > 0) fail(lt, 'more than one root element');
      stack[stack.length - 1].children.push(el);
      if (!m![3]) stack.push(el);
      i = lt + m![0].length;
    }
  }
  if (stack.length > 1) fail(src.length, `<${stack[stack.length - 1].name}> is never closed (the file is truncated?)`);
  if (root.children.length === 0) fail(0, 'no root element');
  return root.children[0];
}

/** The first child named one of `names` (case-insensitive), searched breadth-first to `depth` levels. */
export function find(el: XmlElement | undefined, names: string | string[], depth = 1): XmlElement | undefined {
  if (!el) return undefined;
  const want = (Array.isArray(names) ? names : [names]).map((n) => n.toLowerCase());
  let level = [el];
  for (let d = 0; d < depth && level.length; d++) {
    const next: XmlElement[] = [];
    for (const e of level) {
      for (const c of e.children) if (want.includes(c.name.toLowerCase())) return c;
      next.push(...e.children);
    }
    level = next;
  }
  return undefined;
}

export function children(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name.toLowerCase() === name.toLowerCase()) : [];
}

/** Text of the first child named one of `names`, trimmed. */
export function textOf(el: XmlElement | undefined, names: string | string[]): string | undefined {
  const c = find(el, names);
  const t = c?.text.trim();
  return t === undefined || t === '' ? undefined : t;
}
