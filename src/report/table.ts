/** cli-table3 rendering (the one user of cli-table3). Colour only when writing to a terminal. */
import Table from 'cli-table3';
import { escapeText } from '../text/escape.js';
import { levelColour } from './text-explain.js';

export interface TableStyle {
  color: boolean;
}

/** `dlColumn`: the column holding danger levels, shown in their colour on a terminal. */
export function renderTable(head: string[], rows: Array<Array<string | number>>, style: TableStyle, indent = '      ', dlColumn = -1): string {
  const t = new Table({
    head,
    style: { head: style.color ? ['cyan'] : [], border: style.color ? ['grey'] : [], compact: true, 'padding-left': 1, 'padding-right': 1 },
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' ' },
  });
  // Cells are escaped before cli-table3 adds its own colour codes.
  for (const r of rows) t.push(r.map((c, i) => (style.color && i === dlColumn ? levelColour(Number(c), escapeText(String(c))) : escapeText(String(c)))));
  return t.toString().split('\n').map((l) => indent + l.trimEnd()).join('\n');
}
