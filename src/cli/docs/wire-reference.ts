// docs/reference/wire.md (cli docs): the HTTP headers serve defines or gives a meaning to, from
// common/wire-headers.ts (whose names are the constants the code uses).
import { wireHeaders, type WireHeaderDoc } from '../../common/wire-headers.js';
import { code, pageHead, prose, table } from './markdown.js';

export function renderWireReference(): string {
  const section = (title: string, direction: WireHeaderDoc['direction']) => {
    const headers = wireHeaders.filter((h) => h.direction === direction);
    return `## ${title}\n\n` + headers.map(renderHeader).join('\n');
  };
  return [
    pageHead('Wire headers', 'src/common/wire-headers.ts and src/common/wire.ts'),
    'The inference API is the Open Inference Protocol v2 (KServe, Triton) with ' +
      "Triton's binary tensor extension. " +
      'These are the headers serve adds to it or gives a meaning; header names are ' +
      'case-insensitive.\n',
    section('Request headers', 'request'),
    section('Response headers', 'response'),
  ].join('\n');
}

function renderHeader(h: WireHeaderDoc): string {
  const parts = [`### ${h.name}\n`, `*${prose(h.between)}*\n`, prose(h.meaning) + '\n'];
  if (h.values)
    parts.push(
      table(
        ['Value', 'Meaning'],
        h.values.map(([v, m]) => [code(v), m]),
      ),
    );
  return parts.join('\n');
}
